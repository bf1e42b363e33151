import { z } from 'zod';
import { defineEvent } from '../envelope';
import { currencySchema, orderRefSchema, pricedLineSchema } from './order-shapes';

export const OrderConfirmed = defineEvent({
  type: 'order.order.confirmed',
  version: 1,
  producer: 'order',
  description: "Stock is reserved: the order is CONFIRMED with picks' prices and waits for the store to accept it.",
  data: orderRefSchema.extend({ lines: z.array(pricedLineSchema).min(1), totalMinor: z.number().int().min(0), currency: currencySchema }),
});
