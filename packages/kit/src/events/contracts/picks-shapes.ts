import { z } from 'zod';
import { currencySchema } from './order-shapes';

/** A pick as its events carry it: whole, so consumers keep projections without asking picks. */
export const pickSnapshotSchema = z.object({
  pickId: z.uuid(),
  storeId: z.uuid(),
  name: z.string().min(1).max(120),
  description: z.string().max(2000).nullable(),
  priceMinor: z.number().int().min(0),
  currency: currencySchema,
  stock: z.number().int().min(0),
  available: z.boolean(),
  images: z.array(z.url()),
  tags: z.array(z.string().min(1)),
});
