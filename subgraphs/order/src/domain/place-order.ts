import { deliveryAddressSchema, requestedLineSchema } from '@x/kit';
import { z } from 'zod';

export const placeOrderInputSchema = z
  .object({
    storeId: z.uuid('storeId must be a store id (UUID)'),
    lines: z.array(requestedLineSchema).min(1, 'an order needs at least one line').max(50, 'an order has at most 50 lines'),
    deliveryAddress: deliveryAddressSchema,
    idempotencyKey: z.string().trim().min(8, 'idempotencyKey must be at least 8 characters').max(64),
  })
  .strict();

export type PlaceOrderInput = z.infer<typeof placeOrderInputSchema>;
