import { z } from 'zod';
import { defineEvent } from '../envelope';
import { orderRefSchema } from './order-shapes';

export const OrderRejected = defineEvent({
  type: 'order.order.rejected',
  version: 1,
  producer: 'order',
  description: 'The order ended REJECTED: picks could not reserve it, or the store declined it (then `stockReserved` says picks must release).',
  data: orderRefSchema.extend({
    reason: z.enum(['STOCK_REJECTED', 'DECLINED_BY_STORE']),
    stockReserved: z.boolean(),
    message: z.string().max(500).nullable(),
  }),
});
