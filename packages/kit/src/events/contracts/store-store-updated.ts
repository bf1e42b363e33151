import { z } from 'zod';
import { defineEvent } from '../envelope';
import { storeSnapshotSchema } from './store-shapes';

export const StoreUpdated = defineEvent({
  type: 'store.store.updated',
  version: 1,
  producer: 'store',
  description: "A store's details changed; carries the whole snapshot so projections need no other source, and `changed` names the fields.",
  data: storeSnapshotSchema.extend({
    changed: z.array(z.string().min(1)).min(1),
    previousCategoryIds: z.array(z.uuid()),
  }),
});
