import { z } from 'zod';
import { defineEvent } from '../envelope';
import { orderRefSchema } from './order-shapes';

export const OrderOutForDelivery = defineEvent({
  type: 'order.order.out-for-delivery',
  version: 1,
  producer: 'order',
  description: 'A courier picked the order up (OUT_FOR_DELIVERY); it can no longer be cancelled.',
  data: orderRefSchema.extend({ courierId: z.uuid() }),
});
