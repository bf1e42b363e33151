import { z } from 'zod';
import { defineEvent } from '../envelope';
import { orderRefSchema } from './order-shapes';

export const OrderCancelled = defineEvent({
  type: 'order.order.cancelled',
  version: 1,
  producer: 'order',
  description: 'The customer or an hq_admin cancelled the order before pick-up; picks releases stock, order-delivery cancels the delivery.',
  data: orderRefSchema.extend({
    cancelledBy: z.uuid(),
    reason: z.string().max(500).nullable(),
    stockReserved: z.boolean(),
    previousStatus: z.string().min(1),
  }),
});
