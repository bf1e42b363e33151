import { on, StoreCreated, StoreStatusChanged, StoreUpdated, subscriptionsFor, type EventDefinition, type Subscription } from '@x/kit';
import type { CategoryStore } from '../store/categories';
import type { Transaction } from '../store/database';

/** The events this service consumes; its subscriptions below are checked against this list, and the AsyncAPI document reads it. */
export const consumedEvents: readonly EventDefinition[] = [StoreCreated, StoreUpdated, StoreStatusChanged];

/** What store-categories does with other services' events: per-category store counts from store snapshots. */
export function categorySubscriptions(categories: CategoryStore): Subscription<Transaction>[] {
  return subscriptionsFor(consumedEvents, [
    on(StoreCreated, async function countLinksOfCreatedStore(event, tx: Transaction) {
      await categories.applyStoreSnapshot(tx, event.data);
    }),
    on(StoreUpdated, async function recountLinksOfUpdatedStore(event, tx: Transaction) {
      await categories.applyStoreSnapshot(tx, event.data);
    }),
    on(StoreStatusChanged, async function recountLinksOfStoreWithNewStatus(event, tx: Transaction) {
      await categories.applyStoreSnapshot(tx, event.data);
    }),
  ]);
}
