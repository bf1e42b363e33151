import {
  AuthUserDeleted,
  DeliveryClaimed,
  DeliveryDelivered,
  DeliveryPickedUp,
  on,
  StockRejected,
  StockReserved,
  StoreCreated,
  StoreStatusChanged,
  StoreUpdated,
  subscriptionsFor,
  type EventDefinition,
  type Subscription,
} from '@x/kit';
import type { Transaction } from '../store/database';
import type { OrderStore } from '../store/orders';

/** The events this service consumes; its subscriptions below are checked against this list, and the AsyncAPI document reads it. */
export const consumedEvents: readonly EventDefinition[] = [StockReserved, StockRejected, DeliveryClaimed, DeliveryPickedUp, DeliveryDelivered, StoreCreated, StoreUpdated, StoreStatusChanged, AuthUserDeleted];

/** How order follows the saga: picks' answer, the delivery's progress, stores and deleted accounts. */
export function orderSubscriptions(orders: OrderStore): Subscription<Transaction>[] {
  return subscriptionsFor(consumedEvents, [
    on(StockReserved, async function confirmOrderWithReservedPrices(event, tx: Transaction) {
      const { orderId, lines, totalMinor, currency } = event.data;
      await orders.confirmWithPrices(tx, orderId, { lines, totalMinor, currency }, event.id);
    }),
    on(StockRejected, async function rejectOrderPicksCouldNotReserve(event, tx: Transaction) {
      await orders.rejectForStock(tx, event.data.orderId, event.data.reasons, event.id);
    }),
    on(DeliveryClaimed, async function recordClaimingCourier(event, tx: Transaction) {
      await orders.recordCourier(tx, event.data.orderId, event.data.courierId);
    }),
    on(DeliveryPickedUp, async function markOrderOutForDelivery(event, tx: Transaction) {
      await orders.markOutForDelivery(tx, event.data.orderId, event.data.courierId, event.id);
    }),
    on(DeliveryDelivered, async function markOrderDelivered(event, tx: Transaction) {
      await orders.markDelivered(tx, event.data.orderId, event.data.courierId, event.id);
    }),
    on(StoreCreated, async function recordStoreOwnerOfNewStore(event, tx: Transaction) {
      await orders.recordStoreOwner(tx, event.data, new Date(event.time));
    }),
    on(StoreUpdated, async function recordStoreOwnerOfUpdatedStore(event, tx: Transaction) {
      await orders.recordStoreOwner(tx, event.data, new Date(event.time));
    }),
    on(StoreStatusChanged, async function recordStoreStatus(event, tx: Transaction) {
      await orders.recordStoreOwner(tx, event.data, new Date(event.time));
    }),
    on(AuthUserDeleted, async function anonymiseOrdersOfDeletedAccount(event, tx: Transaction) {
      await orders.anonymiseCustomer(tx, event.data.userId);
    }),
  ]);
}
