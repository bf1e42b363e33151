import { z } from 'zod';
import { pageArgs } from '@x/kit';

/** Store.picks pages hold at most this many picks; a larger `first` is a BAD_USER_INPUT. */
export const maxPageSize = 50;

export const limits = {
  nameLength: 120,
  descriptionLength: 2000,
  priceMinor: 100_000_000,
  stock: 1_000_000,
  images: 10,
  urlLength: 500,
  tags: 20,
  tagLength: 32,
  searchLength: 100,
} as const;

const isoCurrencies = new Set(Intl.supportedValuesOf('currency'));

const noControlCharacters = (text: string) => !/[\u0000-\u001f\u007f]/.test(text);

export const pickNameSchema = z
  .string()
  .trim()
  .min(1, 'name must not be empty')
  .max(limits.nameLength, `name is at most ${limits.nameLength} characters`)
  .refine(noControlCharacters, 'name must not contain control characters');

/** An empty description is no description. */
export const descriptionSchema = z
  .string()
  .trim()
  .max(limits.descriptionLength, `description is at most ${limits.descriptionLength} characters`)
  .transform((text) => (text === '' ? null : text))
  .nullable();

export const currencyCodeSchema = z
  .string()
  .refine((code) => /^[A-Z]{3}$/.test(code) && isoCurrencies.has(code), 'currency must be an ISO-4217 code in capitals, e.g. EUR');

export const moneySchema = z.object({
  amountMinor: z
    .number()
    .int('amountMinor is an integer number of minor units (cents)')
    .min(0, 'amountMinor must not be negative')
    .max(limits.priceMinor, `amountMinor is at most ${limits.priceMinor}`),
  currency: currencyCodeSchema,
});

export const stockSchema = z.number().int().min(0, 'stock must not be negative').max(limits.stock, `stock is at most ${limits.stock}`);

export const imagesSchema = z
  .array(
    z
      .url({ protocol: /^https?$/, message: 'each image must be an http(s) URL' })
      .max(limits.urlLength, `an image URL is at most ${limits.urlLength} characters`),
  )
  .max(limits.images, `at most ${limits.images} images`);

/** Tags are compared lower-cased and trimmed, so "Vegan" and " vegan" are one tag. */
export const tagSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(1, 'a tag must not be empty')
  .max(limits.tagLength, `a tag is at most ${limits.tagLength} characters`)
  .regex(/^[\p{L}\p{N}][\p{L}\p{N} _-]*$/u, 'a tag is letters, digits, spaces, "-" and "_"');

export const tagsSchema = z
  .array(tagSchema)
  .max(limits.tags, `at most ${limits.tags} tags`)
  .transform((tags) => [...new Set(tags)]);

export const createPickSchema = z
  .object({
    storeId: z.uuid('storeId must be a store id (UUID)'),
    name: pickNameSchema,
    description: descriptionSchema.optional().transform((text) => text ?? null),
    price: moneySchema,
    stock: stockSchema.default(0),
    available: z.boolean().default(true),
    images: imagesSchema.default([]),
    tags: tagsSchema.default([]),
  })
  .strict();

export type NewPick = z.infer<typeof createPickSchema>;

export const pickPatchSchema = z
  .object({
    name: pickNameSchema.optional(),
    description: descriptionSchema.optional(),
    price: moneySchema.optional(),
    available: z.boolean().optional(),
    images: imagesSchema.optional(),
    tags: tagsSchema.optional(),
  })
  .strict()
  .refine((patch) => Object.values(patch).some((value) => value !== undefined), 'nothing to update: give name, description, price, available, images or tags');

export type PickPatch = z.infer<typeof pickPatchSchema>;

export const stockDeltaSchema = z
  .number()
  .int()
  .min(-limits.stock, `delta is at least -${limits.stock}`)
  .max(limits.stock, `delta is at most ${limits.stock}`)
  .refine((delta) => delta !== 0, 'delta must not be zero');

export const pickFilterSchema = z
  .object({
    text: z.string().trim().min(1, 'text must not be empty').max(limits.searchLength, `text is at most ${limits.searchLength} characters`).optional(),
    tag: tagSchema.optional(),
    availableOnly: z.boolean().default(false),
  })
  .strict();

export const picksPageSchema = pageArgs({ max: maxPageSize, fallback: 20 }).extend({
  filter: pickFilterSchema.nullish().transform((filter) => filter ?? { availableOnly: false }),
});

export type PicksPageArgs = z.infer<typeof picksPageSchema>;
export type PickFilter = PicksPageArgs['filter'];

/** A catalog item as the rest of the service sees it. */
export interface Pick {
  id: string;
  storeId: string;
  name: string;
  description: string | null;
  priceMinor: number;
  currency: string;
  stock: number;
  reserved: number;
  available: boolean;
  images: string[];
  tags: string[];
  createdAt: Date;
  updatedAt: Date;
}

/** What can still be ordered. */
export const availableQuantity = (pick: Pick): number => Math.max(0, pick.stock - pick.reserved);

/** The fields of a pick's snapshot whose value differs, in the names its events use. */
export function changedFields(before: Pick, after: Pick): string[] {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const fields: (keyof Pick)[] = ['name', 'description', 'priceMinor', 'currency', 'stock', 'available', 'images', 'tags'];
  return fields.filter((field) => !same(before[field], after[field]));
}
