import { z } from 'zod';
import type { Owner } from './contact-card';
import { isCountryCode } from './countries';

const controlCharacters = /[\u0000-\u001f\u007f]/;

const text = (field: string, max: number) =>
  z
    .string()
    .trim()
    .min(1, `${field} must not be empty`)
    .max(max, `${field} is at most ${max} characters`)
    .refine((value) => !controlCharacters.test(value), `${field} must not contain control characters`);

const labelSchema = text('label', 40);

/** A point on Earth in WGS 84 degrees. */
export const geoPointSchema = z
  .object({
    lat: z.number().min(-90, 'lat must be between -90 and 90').max(90, 'lat must be between -90 and 90'),
    lng: z.number().min(-180, 'lng must be between -180 and 180').max(180, 'lng must be between -180 and 180'),
  })
  .strict();

const countrySchema = z
  .string()
  .trim()
  .toUpperCase()
  .refine(isCountryCode, 'country must be an ISO 3166-1 alpha-2 code, e.g. DE, FR or US');

const postalCodeSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9 -]{0,10}[A-Za-z0-9])?$/, 'postalCode must be 1 to 12 letters, digits, spaces or hyphens');

const addressFields = {
  label: labelSchema,
  lines: z.array(text('each address line', 100)).min(1, 'lines must hold at least one line').max(3, 'lines holds at most 3 lines'),
  city: text('city', 80),
  postalCode: postalCodeSchema,
  country: countrySchema,
  location: geoPointSchema.nullable(),
};

/** Spaces, dots, hyphens and parentheses people type are dropped; what remains must be E.164. */
export const phoneNumberSchema = z
  .string()
  .transform((value) => value.replace(/[\s.()-]/g, ''))
  .pipe(z.string().regex(/^\+[1-9]\d{6,14}$/, 'number must be an E.164 phone number: + then country code and number, 7 to 15 digits, e.g. +4915112345678'));

const emailSchema = z.string().trim().max(254, 'address is at most 254 characters').pipe(z.email('address must be an e-mail address'));

const isDefaultSchema = z.boolean().optional();

const nonEmptyPatch = (value: object) => Object.keys(value).length > 0;
const nothingToChange = 'nothing to change: give at least one field';

export const newAddressSchema = z.object({ ...addressFields, location: addressFields.location.optional().default(null), isDefault: isDefaultSchema }).strict();
export const addressPatchSchema = z
  .object({ ...addressFields, isDefault: isDefaultSchema })
  .partial()
  .strict()
  .refine(nonEmptyPatch, nothingToChange);

export const newPhoneSchema = z.object({ label: labelSchema, number: phoneNumberSchema, isDefault: isDefaultSchema }).strict();
export const phonePatchSchema = z
  .object({ label: labelSchema, number: phoneNumberSchema, isDefault: isDefaultSchema })
  .partial()
  .strict()
  .refine(nonEmptyPatch, nothingToChange);

export const newEmailSchema = z.object({ label: labelSchema, address: emailSchema, isDefault: isDefaultSchema }).strict();
export const emailPatchSchema = z
  .object({ label: labelSchema, address: emailSchema, isDefault: isDefaultSchema })
  .partial()
  .strict()
  .refine(nonEmptyPatch, nothingToChange);

/** The GraphQL `ContactOwnerInput`: `{ type: USER | STORE, id }`. */
export const ownerSchema = z
  .object({
    type: z.enum(['USER', 'STORE']).transform((type): Owner['type'] => (type === 'USER' ? 'user' : 'store')),
    id: z.uuid('id must be a user or store id (UUID)'),
  })
  .strict();

export const itemIdSchema = z.uuid('must be the id (UUID) of an entry on the card');

