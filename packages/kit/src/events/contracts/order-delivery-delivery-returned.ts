import { z } from 'zod';
import { defineEvent } from '../envelope';
import { deliveryRefSchema } from './delivery-shapes';

export const DeliveryReturned = defineEvent({
  type: 'order-delivery.delivery.returned',
  version: 1,
  producer: 'order-delivery',
  description: 'The courier brought the goods of a cancelled order back to its store; the delivery is over.',
  data: deliveryRefSchema.extend({ courierId: z.uuid() }),
});
