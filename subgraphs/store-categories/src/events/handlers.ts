import { on, StoreCreated, StoreStatusChanged, StoreUpdated, type Subscription } from '@x/kit';
import type { CategoryStore, Transaction } from '../store/categories';

/** What store-categories does with other services' events: per-category store counts from store snapshots. */
export function categorySubscriptions(categories: CategoryStore): Subscription<Transaction>[] {
  return [
    on(StoreCreated, async function countLinksOfCreatedStore(event, tx: Transaction) {
      await categories.applyStoreSnapshot(tx, event.data);
    }),
    on(StoreUpdated, async function recountLinksOfUpdatedStore(event, tx: Transaction) {
      await categories.applyStoreSnapshot(tx, event.data);
    }),
    on(StoreStatusChanged, async function recountLinksOfStoreWithNewStatus(event, tx: Transaction) {
      await categories.applyStoreSnapshot(tx, event.data);
    }),
  ];
}
