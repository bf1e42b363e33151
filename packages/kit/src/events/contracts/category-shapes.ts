import { z } from 'zod';

/** A category as other services keep it: store validates category links against this projection. */
export const categorySnapshotSchema = z.object({
  categoryId: z.uuid(),
  slug: z.string().min(1).max(80),
  name: z.string().min(1).max(80),
  parentId: z.uuid().nullable(),
});
