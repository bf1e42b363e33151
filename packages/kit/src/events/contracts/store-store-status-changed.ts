import { z } from 'zod';
import { defineEvent } from '../envelope';
import { storeSnapshotSchema, storeStatusSchema } from './store-shapes';

export const StoreStatusChanged = defineEvent({
  type: 'store.store.status-changed',
  version: 1,
  producer: 'store',
  description: 'A store was approved, closed, reopened, suspended or reinstated; `status` in the snapshot is the new one.',
  data: storeSnapshotSchema.extend({
    previousStatus: storeStatusSchema,
    changedBy: z.uuid(),
    reason: z.string().max(500).nullable(),
  }),
});
