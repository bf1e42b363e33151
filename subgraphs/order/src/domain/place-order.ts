import { deliveryAddressSchema, geoPointSchema, requestedLineSchema } from '@x/kit';
import { z } from 'zod';

/** GraphQL leaves out optional input fields; the order keeps them as explicit nulls in its snapshot. */
const orNull = <T extends z.ZodType>(schema: T) => schema.nullish().transform((value) => value ?? null);

export const deliveryAddressInputSchema = deliveryAddressSchema.extend({
  location: orNull(geoPointSchema),
  phone: orNull(z.string().trim().regex(/^\+[1-9]\d{6,14}$/, 'phone must be an E.164 number, e.g. +33612345678')),
});

export const placeOrderInputSchema = z
  .object({
    storeId: z.uuid('storeId must be a store id (UUID)'),
    lines: z.array(requestedLineSchema).min(1, 'an order needs at least one line').max(50, 'an order has at most 50 lines'),
    deliveryAddress: deliveryAddressInputSchema,
    idempotencyKey: z.string().trim().min(8, 'idempotencyKey must be at least 8 characters').max(64),
  })
  .strict();

export type PlaceOrderInput = z.infer<typeof placeOrderInputSchema>;
