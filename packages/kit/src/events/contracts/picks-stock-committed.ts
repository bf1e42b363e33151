import { z } from 'zod';
import { defineEvent } from '../envelope';
import { requestedLineSchema } from './order-shapes';

export const StockCommitted = defineEvent({
  type: 'picks.stock.committed',
  version: 1,
  producer: 'picks',
  description: "picks committed a delivered order's reservation: its lines left the stock for good.",
  data: z.object({ orderId: z.uuid(), storeId: z.uuid(), lines: z.array(requestedLineSchema) }),
});
