import { z } from 'zod';
import { defineEvent } from '../envelope';

export const stockRejectionReasonSchema = z.enum(['OUT_OF_STOCK', 'UNKNOWN_PICK', 'UNAVAILABLE', 'STORE_NOT_OPEN', 'WRONG_STORE', 'CURRENCY_MISMATCH']);

export const StockRejected = defineEvent({
  type: 'picks.stock.rejected',
  version: 1,
  producer: 'picks',
  description: 'picks could not reserve an order: nothing was reserved, and each failing line says why.',
  data: z.object({
    orderId: z.uuid(),
    storeId: z.uuid(),
    reasons: z
      .array(z.object({ pickId: z.uuid(), reason: stockRejectionReasonSchema, requested: z.number().int().min(0), available: z.number().int().min(0) }))
      .min(1),
  }),
});
