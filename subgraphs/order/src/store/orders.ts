import { randomUUID } from 'node:crypto';
import {
  buildEvent,
  conflict,
  DomainError,
  enqueueEvent,
  forbidden,
  notFound,
  OrderAccepted,
  OrderCancelled,
  OrderConfirmed,
  OrderDelivered,
  OrderOutForDelivery,
  OrderPlaced,
  OrderReadyForPickup,
  OrderRejected,
  PermanentEventError,
  deliveryAddressSchema,
  type EventEnvelope,
} from '@x/kit';
import type { z } from 'zod';
import { decide, mayHoldStock, type Actor, type OrderStatus, type Trigger } from '../domain/order-status';
import type { PlaceOrderInput } from '../domain/place-order';
import { Prisma, type PrismaClient } from './generated/client';

export type Transaction = Prisma.TransactionClient;

const withLines = { lines: { orderBy: { lineNo: 'asc' } } } as const;
export type OrderRow = Prisma.OrderGetPayload<{ include: typeof withLines }>;
export type StatusChangeRow = Prisma.StatusChangeGetPayload<object>;

/** Raised for a saga event that came before the one it follows: the consumer retries it later. */
export class EarlyEventError extends Error {
  constructor(reason: string) {
    super(`event arrived early: ${reason}`);
    this.name = 'EarlyEventError';
  }
}

export interface TransitionRequest {
  trigger: Trigger;
  actor: Actor;
  eventId?: string;
  reason?: string | null;
  /** Fields the transition sets besides the status (prices, courier, rejection). */
  patch?: Prisma.OrderUpdateInput;
  /** The event that announces the new state, built from the order as it is after the change. */
  announce: (order: OrderRow, from: OrderStatus) => EventEnvelope | undefined;
}

/** Orders: every state change, its history row and its event are written in one transaction. */
export class OrderStore {
  constructor(
    private readonly db: PrismaClient,
    private readonly relay: { wake(): void },
  ) {}

  /**
   * The same customer and idempotency key always give the same order, even when two requests race: a
   * repeated key fails on the unique index and gets the order that holds it. A new key, the usual case,
   * costs no lookup first.
   */
  async place(customerId: string, input: PlaceOrderInput): Promise<OrderRow> {
    const id = randomUUID();
    let placed: OrderRow;
    try {
      placed = await this.db.$transaction(async (tx) => {
        const order = await tx.order.create({
          data: {
            id,
            customerId,
            storeId: input.storeId,
            status: 'PENDING',
            idempotencyKey: input.idempotencyKey,
            deliveryAddress: JSON.stringify(input.deliveryAddress),
            lines: { create: input.lines.map((line, index) => ({ lineNo: index + 1, pickId: line.pickId, quantity: line.quantity })) },
            history: { create: { fromStatus: null, toStatus: 'PENDING', trigger: 'place', actorId: customerId } },
          },
          include: withLines,
        });
        await enqueueEvent(
          tx,
          buildEvent(OrderPlaced, id, { orderId: id, customerId, storeId: input.storeId, lines: input.lines, deliveryAddress: input.deliveryAddress }),
        );
        return order;
      });
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        const winner = await this.findByIdempotencyKey(customerId, input.idempotencyKey);
        if (winner) return winner;
      }
      throw error;
    }
    this.relay.wake();
    return placed;
  }

  /**
   * Applies a trigger under a row lock on the order, so concurrent triggers serialise. A person gets
   * FORBIDDEN/CONFLICT; a repeated event is a no-op; an early one is retried; an impossible one is parked.
   */
  async transition(tx: Transaction, orderId: string, request: TransitionRequest): Promise<OrderRow | undefined> {
    await tx.$queryRaw`SELECT id FROM orders WHERE id = ${orderId} FOR UPDATE`;
    const order = await tx.order.findUnique({ where: { id: orderId }, include: withLines });
    if (!order) {
      if (request.actor.kind === 'person') throw notFound('no such order');
      throw new PermanentEventError(`no order ${orderId}`);
    }
    const owner = await tx.storeOwner.findUnique({ where: { storeId: order.storeId } });
    const decision = decide({ status: order.status as OrderStatus, customerId: order.customerId, storeOwnerId: owner?.ownerId ?? null }, request.trigger, request.actor);
    switch (decision.kind) {
      case 'refused':
        throw decision.code === 'FORBIDDEN' ? forbidden(decision.reason) : conflict(decision.reason, { status: order.status });
      case 'stale':
        return undefined;
      case 'early':
        throw new EarlyEventError(decision.reason);
      case 'apply':
        break;
    }
    const actorId = request.actor.kind === 'person' ? request.actor.userId : null;
    const updated = await tx.order.update({
      where: { id: orderId },
      data: {
        ...request.patch,
        status: decision.to,
        history: { create: { fromStatus: decision.from, toStatus: decision.to, trigger: request.trigger, actorId, eventId: request.eventId ?? null, reason: request.reason ?? null } },
      },
      include: withLines,
    });
    const event = request.announce(updated, decision.from);
    if (event) await enqueueEvent(tx, event);
    return updated;
  }

  /** A transition asked for by a person (GraphQL mutation), in its own transaction. */
  async transitionByPerson(orderId: string, request: TransitionRequest): Promise<OrderRow> {
    const updated = await this.db.$transaction((tx) => this.transition(tx, orderId, request));
    this.relay.wake();
    return updated ?? this.findByIdOrThrow(orderId);
  }

  findByIds(ids: readonly string[]): Promise<OrderRow[]> {
    return this.db.order.findMany({ where: { id: { in: [...ids] } }, include: withLines });
  }

  async findByIdOrThrow(id: string): Promise<OrderRow> {
    const order = await this.db.order.findUnique({ where: { id }, include: withLines });
    if (!order) throw notFound('no such order');
    return order;
  }

  historyOf(orderIds: readonly string[]): Promise<StatusChangeRow[]> {
    return this.db.statusChange.findMany({ where: { orderId: { in: [...orderIds] } }, orderBy: { id: 'asc' } });
  }

  /** A page of orders, newest first; `after` is the (placedAt, id) of the last row of the previous page. */
  listPage(where: { customerId?: string; storeId?: string; status?: OrderStatus }, first: number, after?: readonly [string, string]): Promise<OrderRow[]> {
    const filter: Prisma.OrderWhereInput = { ...where };
    if (after) {
      const placedAt = new Date(after[0]);
      filter.OR = [{ placedAt: { lt: placedAt } }, { placedAt, id: { lt: after[1] } }];
    }
    return this.db.order.findMany({ where: filter, orderBy: [{ placedAt: 'desc' }, { id: 'desc' }], take: first + 1, include: withLines });
  }

  storeOwner(storeId: string): Promise<string | null> {
    return this.db.storeOwner.findUnique({ where: { storeId } }).then((row) => row?.ownerId ?? null);
  }

  async recordStoreOwner(tx: Transaction, storeId: string, ownerId: string, status: string): Promise<void> {
    await tx.storeOwner.upsert({ where: { storeId }, create: { storeId, ownerId, status }, update: { ownerId, status } });
  }

  async recordCourier(tx: Transaction, orderId: string, courierId: string): Promise<void> {
    const { count } = await tx.order.updateMany({ where: { id: orderId }, data: { courierId } });
    if (count === 0) throw new PermanentEventError(`no order ${orderId}`);
  }

  /** Orders outlive a deleted account, without the person: their customer becomes anonymous. */
  async anonymiseCustomer(tx: Transaction, customerId: string): Promise<void> {
    await tx.order.updateMany({ where: { customerId }, data: { customerId: null } });
  }

  private findByIdempotencyKey(customerId: string, idempotencyKey: string): Promise<OrderRow | null> {
    return this.db.order.findUnique({ where: { customerId_idempotencyKey: { customerId, idempotencyKey } }, include: withLines });
  }
}

export function deliveryAddressOf(order: OrderRow): z.infer<typeof deliveryAddressSchema> {
  return deliveryAddressSchema.parse(JSON.parse(order.deliveryAddress));
}

const ref = (order: OrderRow) => ({ orderId: order.id, customerId: order.customerId, storeId: order.storeId });

/** The prices picks reserved at; every order past CONFIRMED has them. */
function pricing(order: OrderRow) {
  const lines = order.lines.map((line) => {
    if (line.unitPriceMinor === null || line.currency === null) throw new DomainError('CONFLICT', `order ${order.id} has unpriced lines`);
    return { pickId: line.pickId, quantity: line.quantity, unitPriceMinor: line.unitPriceMinor, currency: line.currency };
  });
  if (order.totalMinor === null || order.currency === null) throw new DomainError('CONFLICT', `order ${order.id} has no total`);
  return { lines, totalMinor: order.totalMinor, currency: order.currency };
}

/** The event each transition publishes, from the order as it is after the change. */
export const announcements = {
  confirmed: (order: OrderRow) => buildEvent(OrderConfirmed, order.id, { ...ref(order), ...pricing(order) }),
  rejected: (reason: 'STOCK_REJECTED' | 'DECLINED_BY_STORE', message: string | null) => (order: OrderRow) =>
    buildEvent(OrderRejected, order.id, { ...ref(order), reason, stockReserved: order.stockReserved, message }),
  accepted: (order: OrderRow) => {
    const { totalMinor, currency } = pricing(order);
    return buildEvent(OrderAccepted, order.id, { ...ref(order), deliveryAddress: deliveryAddressOf(order), totalMinor, currency });
  },
  readyForPickup: (order: OrderRow) => buildEvent(OrderReadyForPickup, order.id, ref(order)),
  outForDelivery: (courierId: string) => (order: OrderRow) => buildEvent(OrderOutForDelivery, order.id, { ...ref(order), courierId }),
  delivered: (courierId: string) => (order: OrderRow) =>
    buildEvent(OrderDelivered, order.id, {
      ...ref(order),
      courierId,
      ...pricing(order),
      placedAt: order.placedAt.toISOString(),
      deliveredAt: order.updatedAt.toISOString(),
    }),
  cancelled: (cancelledBy: string, reason: string | null) => (order: OrderRow, from: OrderStatus) =>
    buildEvent(OrderCancelled, order.id, { ...ref(order), cancelledBy, reason, stockReserved: mayHoldStock(from), previousStatus: from }),
};
