import { z } from 'zod';
import { defineEvent } from '../envelope';
import { deliveryRefSchema } from './delivery-shapes';

export const DeliveryPickedUp = defineEvent({
  type: 'order-delivery.delivery.picked-up',
  version: 1,
  producer: 'order-delivery',
  description: 'The courier picked the order up at the store; order moves to OUT_FOR_DELIVERY.',
  data: deliveryRefSchema.extend({ courierId: z.uuid() }),
});
