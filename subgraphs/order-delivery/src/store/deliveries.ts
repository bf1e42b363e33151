import { randomUUID } from 'node:crypto';
import {
  buildEvent,
  conflict,
  DeliveryCancelled,
  DeliveryClaimed,
  DeliveryDelivered,
  DeliveryPickedUp,
  DeliveryRequested,
  DeliveryReturned,
  DeliveryReturnStarted,
  deliveryAddressSchema,
  enqueueEvent,
  forbidden,
  notFound,
  type EventEnvelope,
} from '@x/kit';
import type { z } from 'zod';
import { keepsDropoffAddress } from '../domain/access';
import { decide, terminalStatuses, transitions, type Actor, type DeliveryStatus, type Trigger } from '../domain/delivery-status';
import { boundingBox, nearestWithin, type GeoPoint } from '../domain/distance';
import { Prisma, type PrismaClient, type Transaction } from './database';
import type { OrderRef, Projections } from './projections';

export type DeliveryRow = Prisma.DeliveryGetPayload<object>;
export type StatusChangeRow = Prisma.StatusChangeGetPayload<object>;
export type DropoffAddress = z.infer<typeof deliveryAddressSchema>;
type Person = Extract<Actor, { kind: 'person' }>;

/** Raised for an event that came before the one it needs (a store not projected yet): the consumer retries it. */
class EarlyEventError extends Error {
  constructor(reason: string) {
    super(`event arrived early: ${reason}`);
    this.name = 'EarlyEventError';
  }
}

/** The conditional update found the delivery moved on since it was read: someone else acted first. */
class LostRaceError extends Error {
  constructor(deliveryId: string) {
    super(`delivery ${deliveryId} changed while this transition was decided; it will be decided again`);
    this.name = 'LostRaceError';
  }
}

/**
 * At most this many REQUESTED deliveries of a search box are ranked by distance (oldest requests
 * first), so a dense city cannot turn one search into an unbounded read.
 */
const openCandidateCap = 500;

const stampColumn: Record<Trigger, Prisma.Sql> = {
  claim: Prisma.raw('claimed_at'),
  pickUp: Prisma.raw('picked_up_at'),
  deliver: Prisma.raw('delivered_at'),
  cancel: Prisma.raw('cancelled_at'),
  returnToStore: Prisma.raw('cancelled_at'),
  markReturned: Prisma.raw('returned_at'),
};

const ref = (delivery: DeliveryRow) => ({ deliveryId: delivery.id, orderId: delivery.orderId, storeId: delivery.storeId });

function courierOf(delivery: DeliveryRow): string {
  if (delivery.courierId === null) throw new Error(`delivery ${delivery.id} is ${delivery.status} without a courier`);
  return delivery.courierId;
}

/** The event each transition publishes, from the delivery as it is after the change. */
const announcements: Record<Trigger, (delivery: DeliveryRow) => EventEnvelope> = {
  claim: (delivery) => buildEvent(DeliveryClaimed, delivery.id, { ...ref(delivery), courierId: courierOf(delivery) }),
  pickUp: (delivery) => buildEvent(DeliveryPickedUp, delivery.id, { ...ref(delivery), courierId: courierOf(delivery) }),
  deliver: (delivery) => buildEvent(DeliveryDelivered, delivery.id, { ...ref(delivery), courierId: courierOf(delivery) }),
  cancel: (delivery) => buildEvent(DeliveryCancelled, delivery.id, { ...ref(delivery), reason: delivery.cancelReason }),
  returnToStore: (delivery) => buildEvent(DeliveryReturnStarted, delivery.id, { ...ref(delivery), courierId: courierOf(delivery), reason: delivery.cancelReason }),
  markReturned: (delivery) => buildEvent(DeliveryReturned, delivery.id, { ...ref(delivery), courierId: courierOf(delivery) }),
};

interface TransitionRequest {
  trigger: Trigger;
  actor: Actor;
  eventId?: string;
  reason?: string | null;
}

/** Deliveries: every state change, its history row and its event are written in one transaction. */
export class DeliveryStore {
  constructor(
    private readonly db: PrismaClient,
    private readonly projections: Projections,
    private readonly relay: { wake(): void },
  ) {}

  /**
   * order.order.accepted: a REQUESTED delivery from the store's projected location to the order's
   * address. Nothing for an order already cancelled here, or one that has its delivery already.
   */
  async requestForAcceptedOrder(tx: Transaction, order: OrderRef & { dropoff: DropoffAddress }, eventId: string): Promise<DeliveryRow | undefined> {
    const orderStatus = await this.projections.advanceOrder(tx, order, 'PREPARING');
    if (orderStatus === 'CANCELLED') return undefined;
    if (await tx.delivery.findUnique({ where: { orderId: order.orderId }, select: { id: true } })) return undefined;
    const store = await this.projections.findStore(tx, order.storeId);
    if (!store) throw new EarlyEventError(`store ${order.storeId} of order ${order.orderId} is not in the store projection yet`);
    const { dropoff } = order;
    const delivery = await tx.delivery.create({
      data: {
        id: randomUUID(),
        orderId: order.orderId,
        storeId: order.storeId,
        customerId: order.customerId,
        status: 'REQUESTED',
        pickupLat: store.lat,
        pickupLng: store.lng,
        dropoffCity: dropoff.city,
        dropoffPostalCode: dropoff.postalCode,
        dropoffCountry: dropoff.country,
        dropoffLat: dropoff.location?.lat ?? null,
        dropoffLng: dropoff.location?.lng ?? null,
        dropoffAddress: JSON.stringify(dropoff),
        history: { create: { fromStatus: null, toStatus: 'REQUESTED', trigger: 'request', eventId } },
      },
    });
    await enqueueEvent(tx, buildEvent(DeliveryRequested, delivery.id, { ...ref(delivery), pickup: { lat: store.lat, lng: store.lng }, dropoff }));
    return delivery;
  }

  /** order.order.cancelled: cancels the delivery unless it was picked up (order refuses that cancel anyway). */
  async cancelForCancelledOrder(tx: Transaction, order: OrderRef, eventId: string, reason: string | null): Promise<DeliveryRow | undefined> {
    await this.projections.advanceOrder(tx, order, 'CANCELLED');
    const delivery = await tx.delivery.findUnique({ where: { orderId: order.orderId } });
    if (!delivery) return undefined;
    // Picked up before the cancellation arrived: the goods go back to the store instead.
    const trigger = delivery.status === 'PICKED_UP' ? 'returnToStore' : 'cancel';
    return this.transition(tx, delivery, { trigger, actor: { kind: 'event' }, eventId, reason: reason ?? 'the order was cancelled' });
  }

  /** A courier's step (claim, pick up, deliver, bring back), in its own transaction. */
  async act(deliveryId: string, trigger: Exclude<Trigger, 'cancel' | 'returnToStore'>, actor: Person): Promise<DeliveryRow> {
    let updated: DeliveryRow | undefined;
    try {
      updated = await this.db.$transaction(async (tx) => {
        const delivery = await tx.delivery.findUnique({ where: { id: deliveryId } });
        if (!delivery) throw notFound('no such delivery');
        return this.transition(tx, delivery, { trigger, actor });
      });
    } catch (error) {
      if (!(error instanceof LostRaceError)) throw error;
      const now = await this.findByIdOrThrow(deliveryId);
      const lost = trigger === 'claim' && now.status === 'CLAIMED' ? 'another courier claimed this delivery first' : `the delivery is ${now.status} now`;
      throw conflict(`cannot ${trigger}: ${lost}`, { status: now.status });
    }
    this.relay.wake();
    return updated ?? this.findByIdOrThrow(deliveryId);
  }

  /**
   * Decides a trigger on the delivery as read, then applies it with one conditional UPDATE whose
   * WHERE repeats what the decision relied on (status and courier). Of racing couriers exactly one
   * matches; the others lose the race (CONFLICT). An event that loses is retried by the consumer.
   */
  private async transition(tx: Transaction, delivery: DeliveryRow, request: TransitionRequest): Promise<DeliveryRow | undefined> {
    const transition = transitions[request.trigger];
    const orderStatus =
      'requires' in transition ? await this.projections.orderStatusForShare(tx, delivery.orderId) : await this.projections.orderStatus(tx, delivery.orderId);
    const decision = decide({ status: delivery.status as DeliveryStatus, courierId: delivery.courierId, orderStatus }, request.trigger, request.actor);
    switch (decision.kind) {
      case 'refused':
        throw decision.code === 'FORBIDDEN' ? forbidden(decision.reason) : conflict(decision.reason, { status: delivery.status });
      case 'stale':
        return undefined;
      case 'apply':
        break;
    }
    const actorId = request.actor.kind === 'person' ? request.actor.userId : null;
    const courierId = request.trigger === 'claim' ? actorId : delivery.courierId;
    const eraseAddress = !keepsDropoffAddress({ status: decision.to, customerId: delivery.customerId });
    const now = new Date();
    const changed = await tx.$executeRaw`
      UPDATE deliveries
      SET status = ${decision.to}, courier_id = ${courierId}, ${stampColumn[request.trigger]} = ${now},
          cancel_reason = ${request.trigger === 'cancel' || request.trigger === 'returnToStore' ? (request.reason ?? null) : delivery.cancelReason},
          dropoff_address = IF(${eraseAddress}, NULL, dropoff_address), updated_at = ${now}
      WHERE id = ${delivery.id} AND status = ${decision.from} AND courier_id <=> ${delivery.courierId}`;
    if (changed !== 1) throw new LostRaceError(delivery.id);
    await tx.statusChange.create({
      data: { deliveryId: delivery.id, fromStatus: decision.from, toStatus: decision.to, trigger: request.trigger, actorId, eventId: request.eventId ?? null, reason: request.reason ?? null },
    });
    const updated = await tx.delivery.findUniqueOrThrow({ where: { id: delivery.id } });
    await enqueueEvent(tx, announcements[request.trigger](updated));
    return updated;
  }

  /** Removes a deleted customer from their deliveries, and the address of every finished one. */
  async anonymiseCustomer(tx: Transaction, customerId: string): Promise<void> {
    // Order rows before delivery rows, the lock order of every other writer.
    await this.projections.anonymiseCustomer(tx, customerId);
    await tx.delivery.updateMany({ where: { customerId, status: { in: [...terminalStatuses] } }, data: { dropoffAddress: null } });
    await tx.delivery.updateMany({ where: { customerId }, data: { customerId: null } });
  }

  findByIds(ids: readonly string[]): Promise<DeliveryRow[]> {
    return this.db.delivery.findMany({ where: { id: { in: [...ids] } } });
  }

  findByOrderIds(orderIds: readonly string[]): Promise<DeliveryRow[]> {
    return this.db.delivery.findMany({ where: { orderId: { in: [...orderIds] } } });
  }

  async findByIdOrThrow(id: string): Promise<DeliveryRow> {
    const delivery = await this.db.delivery.findUnique({ where: { id } });
    if (!delivery) throw notFound('no such delivery');
    return delivery;
  }

  historyOf(deliveryIds: readonly string[]): Promise<StatusChangeRow[]> {
    return this.db.statusChange.findMany({ where: { deliveryId: { in: [...deliveryIds] } }, orderBy: { id: 'asc' } });
  }

  /** A courier's deliveries, most recently claimed first; `after` is the (claimedAt, id) of the previous page's last row. */
  listForCourier(courierId: string, status: DeliveryStatus | undefined, first: number, after?: readonly [string, string]): Promise<DeliveryRow[]> {
    const filter: Prisma.DeliveryWhereInput = { courierId, ...(status ? { status } : {}) };
    if (after) {
      const claimedAt = new Date(after[0]);
      filter.OR = [{ claimedAt: { lt: claimedAt } }, { claimedAt, id: { lt: after[1] } }];
    }
    return this.db.delivery.findMany({ where: filter, orderBy: [{ claimedAt: 'desc' }, { id: 'desc' }], take: first + 1 });
  }

  /**
   * REQUESTED deliveries whose pickup lies within `radiusKm` of `center`, nearest first. A bounding
   * box narrows the rows in SQL (index on status, pickup_lat); the exact haversine distance filters
   * and orders them here (domain/distance.ts), so the rule has one implementation, unit-tested.
   */
  async openNear(center: GeoPoint, radiusKm: number, first: number): Promise<{ delivery: DeliveryRow; distanceKm: number }[]> {
    const box = boundingBox(center, radiusKm);
    const candidates = await this.db.delivery.findMany({
      where: {
        status: 'REQUESTED',
        pickupLat: { gte: box.minLat, lte: box.maxLat },
        OR: box.lngRanges.map((range) => ({ pickupLng: { gte: range.min, lte: range.max } })),
      },
      orderBy: [{ requestedAt: 'asc' }, { id: 'asc' }],
      take: openCandidateCap,
    });
    return nearestWithin(center, radiusKm, candidates, (delivery) => ({ lat: delivery.pickupLat, lng: delivery.pickupLng }))
      .slice(0, first)
      .map(({ item, distanceKm }) => ({ delivery: item, distanceKm }));
  }
}

export function dropoffAddressOf(delivery: DeliveryRow): DropoffAddress | null {
  return delivery.dropoffAddress === null ? null : deliveryAddressSchema.parse(JSON.parse(delivery.dropoffAddress));
}
