import {
  AuthUserDeleted,
  AuthUserRegistered,
  AuthUserRoleGranted,
  CategoryCreated,
  CategoryDeleted,
  CategoryUpdated,
  ContactAddressChanged,
  ContactCardErased,
  ContactEmailChanged,
  ContactPhoneChanged,
  DeliveryCancelled,
  DeliveryClaimed,
  DeliveryDelivered,
  DeliveryPickedUp,
  DeliveryRequested,
  DeliveryReturned,
  DeliveryReturnStarted,
  OrderAccepted,
  OrderCancelled,
  OrderConfirmed,
  OrderDelivered,
  OrderOutForDelivery,
  OrderPlaced,
  OrderReadyForPickup,
  OrderRejected,
  PickCreated,
  PickDeleted,
  PickUpdated,
  StockCommitted,
  StockRejected,
  StockReleased,
  StockReserved,
  StoreCreated,
  StoreStatusChanged,
  StoreUpdated,
  UserProfileUpdated,
  type EventData,
  type EventDefinition,
  type EventEnvelope,
} from '@x/kit';
import { deliveredOrder, type KpiEffect, type OrderStatus } from '../domain/kpis';
import type { Transaction } from '../store/database';
import type { StoreSnapshot, StoreStates } from '../store/store-states';

/**
 * What headquarter makes of one event type, beyond its audit row. The live consumer and the rebuild
 * both go through these functions, so a rebuilt read model is the live one by construction.
 */
export interface Projection {
  readonly definition: EventDefinition;
  /** The person the event names as having acted (canceller, granter, courier…), or null. */
  actorOf(event: EventEnvelope): string | null;
  /** Applies the event to the SQL read models in `tx`, and says what it changes in the KPIs. */
  project(event: EventEnvelope, tx: Transaction): Promise<KpiEffect | null>;
}

interface Parts<D extends EventDefinition> {
  actor?: (data: EventData<D>) => string | null;
  project?: (event: EventEnvelope<EventData<D>>, tx: Transaction) => Promise<KpiEffect | null>;
}

function projection<D extends EventDefinition>(definition: D, parts: Parts<D> = {}): Projection {
  // Both callers (consumer, rebuild) parse `data` with `definition.data` first, so the narrowing holds.
  const typed = (event: EventEnvelope) => event as EventEnvelope<EventData<D>>;
  return {
    definition,
    actorOf: (event) => parts.actor?.(typed(event).data) ?? null,
    project: (event, tx) => (parts.project ? parts.project(typed(event), tx) : Promise.resolve(null)),
  };
}

const reached = (data: { orderId: string; storeId: string }, status: OrderStatus): KpiEffect => ({ kind: 'orderReached', orderId: data.orderId, storeId: data.storeId, status });

function snapshotOf(event: EventEnvelope<EventData<typeof StoreCreated>>): StoreSnapshot {
  const { storeId, ownerId, name, city, status, revision } = event.data;
  return { storeId, ownerId, name, city, status, revision: revision ?? null, at: new Date(event.time) };
}

/** One projection per event type of the platform: the audit trail records them all. */
export function headquarterProjections(stores: StoreStates): Projection[] {
  return [
    projection(AuthUserRegistered),
    projection(AuthUserDeleted, { actor: (data) => data.deletedBy }),
    projection(AuthUserRoleGranted, { actor: (data) => data.grantedBy }),
    projection(UserProfileUpdated),

    projection(StoreCreated, {
      actor: (data) => data.ownerId,
      project: async function queueNewStoreForApproval(event, tx) {
        await stores.apply(tx, snapshotOf(event));
        return null;
      },
    }),
    projection(StoreUpdated, {
      project: async function keepStoreDetailsCurrent(event, tx) {
        await stores.apply(tx, snapshotOf(event));
        return null;
      },
    }),
    projection(StoreStatusChanged, {
      actor: (data) => data.changedBy,
      project: async function moveStoreInOrOutOfApprovalQueue(event, tx) {
        await stores.apply(tx, snapshotOf(event));
        return null;
      },
    }),
    projection(CategoryCreated),
    projection(CategoryUpdated),
    projection(CategoryDeleted),

    projection(OrderPlaced, {
      actor: (data) => data.customerId,
      project: async function countPlacedOrder(event) {
        return reached(event.data, 'PENDING');
      },
    }),
    projection(OrderConfirmed, {
      project: async function moveOrderToConfirmed(event) {
        return reached(event.data, 'CONFIRMED');
      },
    }),
    projection(OrderRejected, {
      project: async function moveOrderToRejected(event) {
        return reached(event.data, 'REJECTED');
      },
    }),
    projection(OrderAccepted, {
      project: async function moveOrderToPreparing(event) {
        return reached(event.data, 'PREPARING');
      },
    }),
    projection(OrderReadyForPickup, {
      project: async function moveOrderToReadyForPickup(event) {
        return reached(event.data, 'READY_FOR_PICKUP');
      },
    }),
    projection(OrderOutForDelivery, {
      actor: (data) => data.courierId,
      project: async function moveOrderToOutForDelivery(event) {
        return reached(event.data, 'OUT_FOR_DELIVERY');
      },
    }),
    projection(OrderDelivered, {
      actor: (data) => data.courierId,
      project: async function countDeliveredOrderRevenueAndTime(event) {
        return { ...reached(event.data, 'DELIVERED'), delivered: deliveredOrder(event.data) };
      },
    }),
    projection(OrderCancelled, {
      actor: (data) => data.cancelledBy,
      project: async function moveOrderToCancelled(event) {
        return reached(event.data, 'CANCELLED');
      },
    }),

    projection(DeliveryRequested),
    projection(DeliveryClaimed, {
      actor: (data) => data.courierId,
      project: async function markCourierBusy(event) {
        return { kind: 'courierBusy', deliveryId: event.data.deliveryId, courierId: event.data.courierId };
      },
    }),
    // A pick-up proves the claim, should the claim itself still be on its way.
    projection(DeliveryPickedUp, {
      actor: (data) => data.courierId,
      project: async function markCourierBusyOnPickUp(event) {
        return { kind: 'courierBusy', deliveryId: event.data.deliveryId, courierId: event.data.courierId };
      },
    }),
    projection(DeliveryDelivered, {
      actor: (data) => data.courierId,
      project: async function freeCourierOfDeliveredDelivery(event) {
        return { kind: 'deliveryEnded', deliveryId: event.data.deliveryId };
      },
    }),
    projection(DeliveryCancelled, {
      project: async function freeCourierOfCancelledDelivery(event) {
        return { kind: 'deliveryEnded', deliveryId: event.data.deliveryId };
      },
    }),
    // The courier stays busy while bringing the goods back, and is free once they are at the store.
    projection(DeliveryReturnStarted, { actor: (data) => data.courierId }),
    projection(DeliveryReturned, {
      actor: (data) => data.courierId,
      project: async function freeCourierOfReturnedDelivery(event) {
        return { kind: 'deliveryEnded', deliveryId: event.data.deliveryId };
      },
    }),

    projection(StockReserved),
    projection(StockRejected),
    projection(StockReleased),
    projection(StockCommitted),
    projection(PickCreated),
    projection(PickUpdated),
    projection(PickDeleted, { actor: (data) => data.deletedBy }),

    projection(ContactAddressChanged),
    projection(ContactPhoneChanged),
    projection(ContactEmailChanged),
    projection(ContactCardErased),
  ];
}
