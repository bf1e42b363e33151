import { z } from 'zod';
import { defineEvent } from '../envelope';
import { deliveryRefSchema } from './delivery-shapes';

export const DeliveryReturnStarted = defineEvent({
  type: 'order-delivery.delivery.return-started',
  version: 1,
  producer: 'order-delivery',
  description:
    'The order was cancelled after its courier had picked it up: the courier takes the goods back to the store instead of delivering them.',
  data: deliveryRefSchema.extend({ courierId: z.uuid(), reason: z.string().max(500).nullable() }),
});
