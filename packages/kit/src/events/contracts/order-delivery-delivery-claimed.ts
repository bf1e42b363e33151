import { z } from 'zod';
import { defineEvent } from '../envelope';
import { deliveryRefSchema } from './delivery-shapes';

export const DeliveryClaimed = defineEvent({
  type: 'order-delivery.delivery.claimed',
  version: 1,
  producer: 'order-delivery',
  description: 'A courier claimed the delivery (exactly one wins).',
  data: deliveryRefSchema.extend({ courierId: z.uuid() }),
});
