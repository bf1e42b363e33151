import { z } from 'zod';
import { defineEvent } from '../envelope';
import { deliveryRefSchema } from './delivery-shapes';

export const DeliveryCancelled = defineEvent({
  type: 'order-delivery.delivery.cancelled',
  version: 1,
  producer: 'order-delivery',
  description: 'The delivery was cancelled because its order was cancelled.',
  data: deliveryRefSchema.extend({ reason: z.string().max(500).nullable() }),
});
