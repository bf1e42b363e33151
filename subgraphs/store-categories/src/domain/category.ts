import { z } from 'zod';

const noControlCharacters = (text: string) => !/[\u0000-\u001f\u007f]/.test(text);

export const categoryNameSchema = z
  .string()
  .trim()
  .min(1, 'name must not be empty')
  .max(80, 'name is at most 80 characters')
  .refine(noControlCharacters, 'name must not contain control characters');

export const slugSchema = z
  .string()
  .trim()
  .min(1, 'slug must not be empty')
  .max(80, 'slug is at most 80 characters')
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'slug is lowercase letters, digits and single hyphens, e.g. "fresh-fruit"');

export const iconSchema = z
  .string()
  .trim()
  .min(1, 'icon must not be empty (give null to remove it)')
  .max(200, 'icon is at most 200 characters')
  .refine(noControlCharacters, 'icon must not contain control characters');

export const positionSchema = z.number().int('position must be an integer').min(0, 'position must be at least 0').max(100_000, 'position is at most 100000');

const idSchema = z.uuid('must be a category id (UUID)');

export const createCategorySchema = z
  .object({
    name: categoryNameSchema,
    slug: slugSchema.nullish(),
    parentId: idSchema.nullish(),
    icon: iconSchema.nullish(),
    position: positionSchema.nullish(),
  })
  .strict();

export const updateCategorySchema = z
  .object({
    name: categoryNameSchema.optional(),
    slug: slugSchema.optional(),
    icon: iconSchema.nullable().optional(),
    position: positionSchema.optional(),
  })
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, 'nothing to update: give name, slug, icon or position');

export type CreateCategoryInput = z.infer<typeof createCategorySchema>;
export type CategoryPatch = z.infer<typeof updateCategorySchema>;

/** A slug from a display name: "Fruit & Vegetables" → "fruit-vegetables". Null when nothing usable is left. */
export function slugify(name: string): string | null {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
    .replace(/-+$/, '');
  return slug === '' ? null : slug;
}

/**
 * Whether hanging `categoryId` under `newParentId` would make the tree a cycle: the new parent is
 * the category itself or one of its descendants. `parentOf` maps every category id to its parent.
 */
export function wouldCreateCycle(categoryId: string, newParentId: string | null, parentOf: ReadonlyMap<string, string | null>): boolean {
  const seen = new Set<string>();
  for (let current = newParentId; current !== null; current = parentOf.get(current) ?? null) {
    if (current === categoryId) return true;
    // A cycle already in the data would loop forever; treat it as one the move would join.
    if (seen.has(current)) return true;
    seen.add(current);
  }
  return false;
}

/** Why a category cannot be deleted, or null when it can: it must have no children and no linked store. */
export function deletionRefusal(usage: { children: number; linkedStores: number }): string | null {
  if (usage.children > 0) return `the category has ${usage.children} subcategor${usage.children === 1 ? 'y' : 'ies'}; move or delete them first`;
  if (usage.linkedStores > 0) return `${usage.linkedStores} store${usage.linkedStores === 1 ? ' is' : 's are'} filed under this category`;
  return null;
}
