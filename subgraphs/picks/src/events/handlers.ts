import { on, StoreCreated, StoreStatusChanged, StoreUpdated, type Subscription } from '@x/kit';
import type { Transaction } from '../store/database';
import type { StoreDirectory } from '../store/stores';

/** What picks does with other services' events. */
export function picksSubscriptions(stores: StoreDirectory): Subscription<Transaction>[] {
  return [
    on(StoreCreated, async function recordCreatedStore(event, tx: Transaction) {
      await stores.apply(tx, event.data, new Date(event.time));
    }),
    on(StoreUpdated, async function followStoreUpdate(event, tx: Transaction) {
      await stores.apply(tx, event.data, new Date(event.time));
    }),
    on(StoreStatusChanged, async function showOrHidePicksOnStoreStatusChange(event, tx: Transaction) {
      await stores.apply(tx, event.data, new Date(event.time));
    }),
  ];
}
