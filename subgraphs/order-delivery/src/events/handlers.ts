import {
  AuthUserDeleted,
  on,
  OrderAccepted,
  OrderCancelled,
  OrderReadyForPickup,
  StoreCreated,
  StoreStatusChanged,
  StoreUpdated,
  subscriptionsFor,
  type EventDefinition,
  type Subscription,
} from '@x/kit';
import type { Transaction } from '../store/database';
import type { DeliveryStore } from '../store/deliveries';
import type { Projections } from '../store/projections';

/** The events this service consumes; its subscriptions below are checked against this list, and the AsyncAPI document reads it. */
export const consumedEvents: readonly EventDefinition[] = [OrderAccepted, OrderReadyForPickup, OrderCancelled, StoreCreated, StoreUpdated, StoreStatusChanged, AuthUserDeleted];

/** How order-delivery follows the saga: accepted orders get a delivery, cancelled ones lose it; stores give the pickup point. */
export function deliverySubscriptions(deliveries: DeliveryStore, projections: Projections): Subscription<Transaction>[] {
  return subscriptionsFor(consumedEvents, [
    on(OrderAccepted, async function requestDeliveryForAcceptedOrder(event, tx: Transaction) {
      const { orderId, storeId, customerId, deliveryAddress } = event.data;
      await deliveries.requestForAcceptedOrder(tx, { orderId, storeId, customerId, dropoff: deliveryAddress }, event.id);
    }),
    on(OrderReadyForPickup, async function recordOrderReadyForPickup(event, tx: Transaction) {
      await projections.advanceOrder(tx, event.data, 'READY_FOR_PICKUP');
    }),
    on(OrderCancelled, async function cancelDeliveryOfCancelledOrder(event, tx: Transaction) {
      await deliveries.cancelForCancelledOrder(tx, event.data, event.id, event.data.reason);
    }),
    on(StoreCreated, async function recordLocationOfNewStore(event, tx: Transaction) {
      await projections.applyStore(tx, event.data, new Date(event.time));
    }),
    on(StoreUpdated, async function followStoreUpdate(event, tx: Transaction) {
      await projections.applyStore(tx, event.data, new Date(event.time));
    }),
    on(StoreStatusChanged, async function followStoreStatus(event, tx: Transaction) {
      await projections.applyStore(tx, event.data, new Date(event.time));
    }),
    on(AuthUserDeleted, async function anonymiseDeliveriesOfDeletedCustomer(event, tx: Transaction) {
      await deliveries.anonymiseCustomer(tx, event.data.userId);
    }),
  ]);
}
