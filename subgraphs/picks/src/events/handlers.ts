import {
  on,
  OrderCancelled,
  OrderDelivered,
  OrderPlaced,
  OrderRejected,
  PermanentEventError,
  StoreCreated,
  StoreStatusChanged,
  StoreUpdated,
  subscriptionsFor,
  type EventDefinition,
  type Subscription,
} from '@x/kit';
import type { Transaction } from '../store/database';
import type { ReservationStore } from '../store/reservations';
import type { StoreDirectory } from '../store/stores';

/** The events this service consumes; its subscriptions below are checked against this list, and the AsyncAPI document reads it. */
export const consumedEvents: readonly EventDefinition[] = [StoreCreated, StoreUpdated, StoreStatusChanged, OrderPlaced, OrderRejected, OrderCancelled, OrderDelivered];

/** What picks does with other services' events: follows stores, and answers the order saga. */
export function picksSubscriptions(stores: StoreDirectory, reservations: ReservationStore): Subscription<Transaction>[] {
  return subscriptionsFor(consumedEvents, [
    on(StoreCreated, async function recordCreatedStore(event, tx: Transaction) {
      await stores.apply(tx, event.data, new Date(event.time));
    }),
    on(StoreUpdated, async function followStoreUpdate(event, tx: Transaction) {
      await stores.apply(tx, event.data, new Date(event.time));
    }),
    on(StoreStatusChanged, async function showOrHidePicksOnStoreStatusChange(event, tx: Transaction) {
      await stores.apply(tx, event.data, new Date(event.time));
    }),
    on(OrderPlaced, async function reserveStockForPlacedOrder(event, tx: Transaction) {
      await reservations.reserveInTransaction(tx, event.data.orderId, event.data.storeId, event.data.lines);
    }),
    // Released whatever `stockReserved` says: the order may not know yet that picks reserved it, and a
    // release that comes first is remembered so the late placement reserves nothing.
    on(OrderRejected, async function releaseStockOfRejectedOrder(event, tx: Transaction) {
      await reservations.releaseInTransaction(tx, event.data.orderId, event.data.storeId);
    }),
    on(OrderCancelled, async function releaseStockOfCancelledOrder(event, tx: Transaction) {
      await reservations.releaseInTransaction(tx, event.data.orderId, event.data.storeId);
    }),
    on(OrderDelivered, async function commitStockOfDeliveredOrder(event, tx: Transaction) {
      const result = await reservations.commitInTransaction(tx, event.data.orderId);
      if (result === 'unknown-order' || result === 'not-reserved') {
        throw new PermanentEventError(`order ${event.data.orderId} was delivered but picks holds no reservation for it (${result})`);
      }
    }),
  ]);
}
