import { defineEvent } from '../envelope';
import { orderRefSchema } from './order-shapes';

export const OrderReadyForPickup = defineEvent({
  type: 'order.order.ready-for-pickup',
  version: 1,
  producer: 'order',
  description: 'The store packed the order (READY_FOR_PICKUP); a courier may now pick it up.',
  data: orderRefSchema,
});
