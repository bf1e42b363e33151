import { CategoryCreated, CategoryDeleted, CategoryUpdated, on, subscriptionsFor, type EventDefinition, type Subscription } from '@x/kit';
import type { Transaction } from '../store/database';
import type { Stores } from '../store/stores';

/** The events this service consumes; its subscriptions below are checked against this list, and the AsyncAPI document reads it. */
export const consumedEvents: readonly EventDefinition[] = [CategoryCreated, CategoryUpdated, CategoryDeleted];

/** What the store service does with other services' events: its projection of the category tree. */
export function storeSubscriptions(stores: Stores): Subscription<Transaction>[] {
  return subscriptionsFor(consumedEvents, [
    on(CategoryCreated, async function rememberCreatedCategory(event, tx: Transaction) {
      await stores.rememberCategory(tx, event.data, new Date(event.time));
    }),
    on(CategoryUpdated, async function rememberRenamedOrMovedCategory(event, tx: Transaction) {
      await stores.rememberCategory(tx, event.data, new Date(event.time));
    }),
    on(CategoryDeleted, async function unlinkStoresFromDeletedCategory(event, tx: Transaction) {
      await stores.forgetCategory(tx, event.data.categoryId, new Date(event.time));
    }),
  ]);
}
