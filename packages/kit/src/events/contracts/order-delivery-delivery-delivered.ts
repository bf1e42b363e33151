import { z } from 'zod';
import { defineEvent } from '../envelope';
import { deliveryRefSchema } from './delivery-shapes';

export const DeliveryDelivered = defineEvent({
  type: 'order-delivery.delivery.delivered',
  version: 1,
  producer: 'order-delivery',
  description: 'The courier handed the order over; order moves to DELIVERED.',
  data: deliveryRefSchema.extend({ courierId: z.uuid() }),
});
