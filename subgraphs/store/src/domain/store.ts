import type { StoreStatus } from '@x/kit';
import { z } from 'zod';
import { openingHoursSchema, timeZoneSchema } from './opening-hours';

const noControlCharacters = (text: string) => !/[\u0000-\u001f\u007f]/.test(text);

export const storeNameSchema = z
  .string()
  .trim()
  .min(1, 'name must not be empty')
  .max(120, 'name is at most 120 characters')
  .refine(noControlCharacters, 'name must not contain control characters');

export const descriptionSchema = z.string().trim().max(2000, 'description is at most 2000 characters');

export const citySchema = z
  .string()
  .trim()
  .min(1, 'city must not be empty')
  .max(120, 'city is at most 120 characters')
  .refine(noControlCharacters, 'city must not contain control characters');

export const locationSchema = z
  .object({
    lat: z.number().min(-90, 'lat is between -90 and 90').max(90, 'lat is between -90 and 90'),
    lng: z.number().min(-180, 'lng is between -180 and 180').max(180, 'lng is between -180 and 180'),
  })
  .strict();

export const categoryIdsSchema = z
  .array(z.uuid('each category id is a UUID'))
  .min(1, 'a store is filed under at least one category')
  .max(10, 'a store is filed under at most 10 categories')
  .refine((ids) => new Set(ids).size === ids.length, 'a category is listed twice');

export const createStoreSchema = z
  .object({
    name: storeNameSchema,
    description: descriptionSchema.nullish(),
    city: citySchema,
    location: locationSchema,
    categoryIds: categoryIdsSchema,
    timeZone: timeZoneSchema,
    openingHours: openingHoursSchema.nullish().transform((hours) => hours ?? []),
  })
  .strict();

export const updateStoreSchema = z
  .object({
    name: storeNameSchema.optional(),
    description: descriptionSchema.nullable().optional(),
    city: citySchema.optional(),
    location: locationSchema.optional(),
    categoryIds: categoryIdsSchema.optional(),
    timeZone: timeZoneSchema.optional(),
    openingHours: openingHoursSchema.optional(),
  })
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, 'nothing to update: give at least one field');

export type CreateStoreInput = z.infer<typeof createStoreSchema>;
export type StorePatch = z.infer<typeof updateStoreSchema>;

/** Who is looking: what they may see of stores that are not publicly listed. */
export type Viewer = { kind: 'public' } | { kind: 'member'; userId: string } | { kind: 'hq_admin'; userId: string };

/** Statuses anyone, anonymous included, may browse; the others only their owner and hq_admin see. */
export const publicStatuses: readonly StoreStatus[] = ['OPEN', 'CLOSED'];

export function canSee(viewer: Viewer, store: { status: StoreStatus; ownerId: string }): boolean {
  if (publicStatuses.includes(store.status)) return true;
  if (viewer.kind === 'hq_admin') return true;
  return viewer.kind === 'member' && viewer.userId === store.ownerId;
}

/** The fields of a patch whose value differs from the store's, in a stable order. */
export function changedFields<K extends string>(current: Record<K, unknown>, next: Partial<Record<K, unknown>>): K[] {
  return (Object.keys(next) as K[]).filter((field) => next[field] !== undefined && JSON.stringify(current[field]) !== JSON.stringify(next[field])).sort();
}
