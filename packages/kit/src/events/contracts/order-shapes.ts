import { z } from 'zod';
import { geoPointSchema } from './store-shapes';

export const currencySchema = z.string().regex(/^[A-Z]{3}$/, 'an ISO-4217 currency code');

/** Where the order goes, copied into the order when it is placed (later address edits do not move it). */
export const deliveryAddressSchema = z.object({
  recipient: z.string().min(1).max(120),
  lines: z.array(z.string().min(1).max(200)).min(1).max(4),
  city: z.string().min(1).max(120),
  postalCode: z.string().min(1).max(20),
  country: z.string().regex(/^[A-Z]{2}$/, 'an ISO-3166 alpha-2 country code'),
  location: geoPointSchema.nullable(),
  phone: z.string().max(20).nullable(),
});

export const requestedLineSchema = z.object({ pickId: z.uuid(), quantity: z.number().int().min(1).max(999) });

export const pricedLineSchema = requestedLineSchema.extend({ unitPriceMinor: z.number().int().min(0), currency: currencySchema });

export const orderRefSchema = z.object({ orderId: z.uuid(), customerId: z.uuid().nullable(), storeId: z.uuid() });
