import { z } from 'zod';
import { defineEvent } from '../envelope';
import { requestedLineSchema } from './order-shapes';

export const StockReleased = defineEvent({
  type: 'picks.stock.released',
  version: 1,
  producer: 'picks',
  description: "picks gave back an order's reserved stock (the order was declined or cancelled).",
  data: z.object({ orderId: z.uuid(), storeId: z.uuid(), lines: z.array(requestedLineSchema) }),
});
