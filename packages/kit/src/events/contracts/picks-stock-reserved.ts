import { z } from 'zod';
import { defineEvent } from '../envelope';
import { currencySchema, pricedLineSchema } from './order-shapes';

export const StockReserved = defineEvent({
  type: 'picks.stock.reserved',
  version: 1,
  producer: 'picks',
  description: "picks reserved every line of an order, at its own (authoritative) prices; order confirms it.",
  data: z.object({
    orderId: z.uuid(),
    storeId: z.uuid(),
    lines: z.array(pricedLineSchema).min(1),
    totalMinor: z.number().int().min(0),
    currency: currencySchema,
  }),
});
