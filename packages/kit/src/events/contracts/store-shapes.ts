import { z } from 'zod';

/** Store states, owned by the store service; projections elsewhere follow its status events. */
export const storeStatusSchema = z.enum(['PENDING_APPROVAL', 'OPEN', 'CLOSED', 'SUSPENDED']);
export type StoreStatus = z.infer<typeof storeStatusSchema>;

export const geoPointSchema = z.object({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) });

/** The store facts other services keep projections of (counts, visibility, pickup location). */
export const storeSnapshotSchema = z.object({
  storeId: z.uuid(),
  ownerId: z.uuid(),
  name: z.string().min(1).max(120),
  status: storeStatusSchema,
  categoryIds: z.array(z.uuid()),
  city: z.string().min(1).max(120),
  location: geoPointSchema,
  // The store's change counter, optional so v1 events without it stay valid. Retries can reorder
  // events, so a projection applies a snapshot only when its revision is above the one it holds.
  revision: z.number().int().min(1).optional(),
});
