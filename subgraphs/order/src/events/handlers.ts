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
import { announcements, type OrderStore, type Transaction } from '../store/orders';

const saga = { kind: 'event' } as const;

/** The events this service consumes; its subscriptions below are checked against this list, and the AsyncAPI document reads it. */
export const consumedEvents: readonly EventDefinition[] = [StockReserved, StockRejected, DeliveryClaimed, DeliveryPickedUp, DeliveryDelivered, StoreCreated, StoreUpdated, StoreStatusChanged, AuthUserDeleted];

/** How order follows the saga: picks' answer, the delivery's progress, stores and deleted accounts. */
export function orderSubscriptions(orders: OrderStore): Subscription<Transaction>[] {
  return subscriptionsFor(consumedEvents, [
    on(StockReserved, async function confirmOrderWithReservedPrices(event, tx: Transaction) {
      const { orderId, lines, totalMinor, currency } = event.data;
      const priced = new Map(lines.map((line) => [line.pickId, line]));
      await orders.transition(tx, orderId, {
        trigger: 'stockReserved',
        actor: saga,
        eventId: event.id,
        patch: {
          totalMinor,
          currency,
          stockReserved: true,
          lines: {
            updateMany: [...priced.values()].map((line) => ({ where: { pickId: line.pickId }, data: { unitPriceMinor: line.unitPriceMinor, currency: line.currency } })),
          },
        },
        announce: announcements.confirmed,
      });
    }),
    on(StockRejected, async function rejectOrderPicksCouldNotReserve(event, tx: Transaction) {
      await orders.transition(tx, event.data.orderId, {
        trigger: 'stockRejected',
        actor: saga,
        eventId: event.id,
        reason: 'stock could not be reserved',
        patch: { rejectionReason: 'STOCK_REJECTED', rejectionDetails: JSON.stringify({ lines: event.data.reasons, message: null }) },
        announce: announcements.rejected('STOCK_REJECTED', null),
      });
    }),
    on(DeliveryClaimed, async function recordClaimingCourier(event, tx: Transaction) {
      await orders.recordCourier(tx, event.data.orderId, event.data.courierId);
    }),
    on(DeliveryPickedUp, async function markOrderOutForDelivery(event, tx: Transaction) {
      await orders.transition(tx, event.data.orderId, {
        trigger: 'pickedUp',
        actor: saga,
        eventId: event.id,
        patch: { courierId: event.data.courierId },
        announce: announcements.outForDelivery(event.data.courierId),
      });
    }),
    on(DeliveryDelivered, async function markOrderDelivered(event, tx: Transaction) {
      await orders.transition(tx, event.data.orderId, {
        trigger: 'delivered',
        actor: saga,
        eventId: event.id,
        announce: announcements.delivered(event.data.courierId),
      });
    }),
    on(StoreCreated, async function recordStoreOwnerOfNewStore(event, tx: Transaction) {
      await orders.recordStoreOwner(tx, event.data.storeId, event.data.ownerId, event.data.status);
    }),
    on(StoreUpdated, async function recordStoreOwnerOfUpdatedStore(event, tx: Transaction) {
      await orders.recordStoreOwner(tx, event.data.storeId, event.data.ownerId, event.data.status);
    }),
    on(StoreStatusChanged, async function recordStoreStatus(event, tx: Transaction) {
      await orders.recordStoreOwner(tx, event.data.storeId, event.data.ownerId, event.data.status);
    }),
    on(AuthUserDeleted, async function anonymiseOrdersOfDeletedAccount(event, tx: Transaction) {
      await orders.anonymiseCustomer(tx, event.data.userId);
    }),
  ]);
}
