import { defineEvent } from '../envelope';
import { storeSnapshotSchema } from './store-shapes';

export const StoreCreated = defineEvent({
  type: 'store.store.created',
  version: 1,
  producer: 'store',
  description: 'A store owner created a store; it waits for approval (status PENDING_APPROVAL).',
  data: storeSnapshotSchema,
});
