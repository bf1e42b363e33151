import { randomUUID } from 'node:crypto';
import {
  applySnapshot,
  buildEvent,
  conflict,
  DomainError,
  enqueueEvent,
  forbidden,
  isUniqueViolation,
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
  type EventData,
  type EventEnvelope,
  type StockRejected,
  type StockReserved,
} from '@x/kit';
import type { ExpressionBuilder, Selectable } from 'kysely';
import type { z } from 'zod';
import { decide, mayHoldStock, type Actor, type OrderStatus, type Person, type Trigger } from '../domain/order-status';
import type { PlaceOrderInput } from '../domain/place-order';
import type { Database, Transaction } from './database';
import type { DB, Order, OrderLine, StatusChange } from './generated/tables';

type OrderLineRow = Selectable<OrderLine>;
export type OrderRow = Selectable<Order> & { lines: OrderLineRow[] };
export type StatusChangeRow = Selectable<StatusChange>;

/** What picks reserved the order's stock at (picks.stock.reserved). */
type ReservedPrices = Pick<EventData<typeof StockReserved>, 'lines' | 'totalMinor' | 'currency'>;
/** Why picks could not reserve the order's stock, line by line (picks.stock.rejected). */
type StockRejections = EventData<typeof StockRejected>['reasons'];

/** Raised for a saga event that came before the one it follows: the consumer retries it later. */
class EarlyEventError extends Error {
  constructor(reason: string) {
    super(`event arrived early: ${reason}`);
    this.name = 'EarlyEventError';
  }
}

type LinePrice = Pick<OrderLineRow, 'unitPriceMinor' | 'currency'>;
/** At least one pick's price, by pick id. */
type PickPrices = readonly [[string, LinePrice], ...[string, LinePrice][]];

/** One transition of the state machine and everything it writes besides the status. */
interface Transition {
  trigger: Trigger;
  actor: Actor;
  eventId?: string;
  reason?: string | null;
  /** Order columns the transition sets besides the status (prices, courier, rejection). */
  set?: Partial<Pick<Selectable<Order>, 'totalMinor' | 'currency' | 'stockReserved' | 'courierId' | 'rejectionReason' | 'rejectionDetails'>>;
  /** picks' prices by pick id, written onto the order's lines. */
  linePrices?: ReadonlyMap<string, LinePrice>;
  /** The event that announces the new state, built from the order as it is after the change. */
  announce: (order: OrderRow, from: OrderStatus) => EventEnvelope;
}

/**
 * Orders: every state change, its history row and its event are written in one transaction. The saga's
 * steps run in the event consumer's transaction (beside its inbox row); a person's run in their own and
 * wake the outbox relay after the commit.
 */
export class OrderStore {
  constructor(
    private readonly db: Database,
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
      placed = await this.db.transaction().execute(async (tx) => {
        const now = new Date();
        const order: Selectable<Order> = {
          id,
          customerId,
          storeId: input.storeId,
          status: 'PENDING',
          idempotencyKey: input.idempotencyKey,
          deliveryAddress: JSON.stringify(input.deliveryAddress),
          totalMinor: null,
          currency: null,
          stockReserved: false,
          courierId: null,
          rejectionReason: null,
          rejectionDetails: null,
          placedAt: now,
          updatedAt: now,
        };
        const lines: OrderLineRow[] = input.lines.map((line, index) => ({
          orderId: id,
          lineNo: index + 1,
          pickId: line.pickId,
          quantity: line.quantity,
          unitPriceMinor: null,
          currency: null,
        }));
        await tx.insertInto('orders').values(order).execute();
        await tx.insertInto('orderLines').values(lines).execute();
        await tx.insertInto('orderStatusChanges').values({ orderId: id, fromStatus: null, toStatus: 'PENDING', trigger: 'place', actorId: customerId }).execute();
        await enqueueEvent(
          tx,
          buildEvent(OrderPlaced, id, { orderId: id, customerId, storeId: input.storeId, lines: input.lines, deliveryAddress: input.deliveryAddress }),
        );
        return { ...order, lines };
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        const winner = await this.findByIdempotencyKey(customerId, input.idempotencyKey);
        if (winner) return winner;
      }
      throw error;
    }
    this.relay.wake();
    return placed;
  }

  /** picks reserved the stock: the order is CONFIRMED at picks' prices, line by line. */
  async confirmWithPrices(tx: Transaction, orderId: string, reserved: ReservedPrices, eventId: string): Promise<void> {
    const { lines, totalMinor, currency } = reserved;
    await this.transition(tx, orderId, {
      trigger: 'stockReserved',
      actor: saga,
      eventId,
      set: { totalMinor, currency, stockReserved: true },
      linePrices: new Map(lines.map((line) => [line.pickId, { unitPriceMinor: line.unitPriceMinor, currency: line.currency }])),
      announce: announcements.confirmed,
    });
  }

  /** picks could not reserve the stock: the order is REJECTED with picks' reasons and holds no stock. */
  async rejectForStock(tx: Transaction, orderId: string, reasons: StockRejections, eventId: string): Promise<void> {
    await this.transition(tx, orderId, {
      trigger: 'stockRejected',
      actor: saga,
      eventId,
      reason: 'stock could not be reserved',
      set: { rejectionReason: 'STOCK_REJECTED', rejectionDetails: JSON.stringify({ lines: reasons, message: null }) },
      announce: announcements.rejected('STOCK_REJECTED', null),
    });
  }

  /** A courier claimed the order's delivery: they may read the order from now on. */
  async recordCourier(tx: Transaction, orderId: string, courierId: string): Promise<void> {
    const { numUpdatedRows } = await tx.updateTable('orders').set({ courierId, updatedAt: new Date() }).where('id', '=', orderId).executeTakeFirst();
    if (numUpdatedRows === 0n) throw new PermanentEventError(`no order ${orderId}`);
  }

  /** The courier picked the order up. */
  async markOutForDelivery(tx: Transaction, orderId: string, courierId: string, eventId: string): Promise<void> {
    await this.transition(tx, orderId, {
      trigger: 'pickedUp',
      actor: saga,
      eventId,
      set: { courierId },
      announce: announcements.outForDelivery(courierId),
    });
  }

  /** The courier handed the order over. */
  async markDelivered(tx: Transaction, orderId: string, courierId: string, eventId: string): Promise<void> {
    await this.transition(tx, orderId, { trigger: 'delivered', actor: saga, eventId, announce: announcements.delivered(courierId) });
  }

  /** The store's owner starts preparing a confirmed order. */
  accept(orderId: string, by: Person): Promise<OrderRow> {
    return this.transitionByPerson(orderId, { trigger: 'accept', actor: by, announce: announcements.accepted });
  }

  /** The store's owner turns a confirmed order down; picks releases its stock. */
  decline(orderId: string, by: Person, reason: string | null): Promise<OrderRow> {
    return this.transitionByPerson(orderId, {
      trigger: 'decline',
      actor: by,
      reason,
      set: { rejectionReason: 'DECLINED_BY_STORE', rejectionDetails: JSON.stringify({ lines: [], message: reason }) },
      announce: announcements.rejected('DECLINED_BY_STORE', reason),
    });
  }

  /** The store's owner has the order ready for a courier. */
  markReady(orderId: string, by: Person): Promise<OrderRow> {
    return this.transitionByPerson(orderId, { trigger: 'markReady', actor: by, announce: announcements.readyForPickup });
  }

  /** The customer or an hq_admin cancels the order before pick-up. */
  cancel(orderId: string, by: Person, reason: string | null): Promise<OrderRow> {
    return this.transitionByPerson(orderId, { trigger: 'cancel', actor: by, reason, announce: announcements.cancelled(by.userId, reason) });
  }

  async findByIds(ids: readonly string[]): Promise<OrderRow[]> {
    if (ids.length === 0) return [];
    return this.withLines(await this.db.selectFrom('orders').selectAll().where('id', 'in', ids).execute());
  }

  async historyOf(orderIds: readonly string[]): Promise<StatusChangeRow[]> {
    if (orderIds.length === 0) return [];
    return this.db.selectFrom('orderStatusChanges').selectAll().where('orderId', 'in', orderIds).orderBy('id').execute();
  }

  /** A page of orders, newest first; `after` is the (placedAt, id) of the last row of the previous page. */
  async listPage(where: { customerId?: string; storeId?: string; status?: OrderStatus }, first: number, after?: readonly [string, string]): Promise<OrderRow[]> {
    let query = this.db.selectFrom('orders').selectAll();
    if (where.customerId !== undefined) query = query.where('customerId', '=', where.customerId);
    if (where.storeId !== undefined) query = query.where('storeId', '=', where.storeId);
    if (where.status !== undefined) query = query.where('status', '=', where.status);
    if (after) {
      const placedAt = new Date(after[0]);
      query = query.where((eb) => eb.or([eb('placedAt', '<', placedAt), eb.and([eb('placedAt', '=', placedAt), eb('id', '<', after[1])])]));
    }
    return this.withLines(await query.orderBy('placedAt', 'desc').orderBy('id', 'desc').limit(first + 1).execute());
  }

  /** Only a snapshot newer than the one held applies: a late or replayed store event never rolls ownership back. */
  async recordStoreOwner(tx: Transaction, snapshot: { storeId: string; ownerId: string; status: string; revision?: number | undefined }, eventTime: Date): Promise<void> {
    await applySnapshot(
      tx,
      { table: 'store_owners', key: { store_id: snapshot.storeId }, values: { owner_id: snapshot.ownerId, status: snapshot.status } },
      { revision: snapshot.revision ?? null, at: eventTime },
    );
  }

  /** Orders outlive a deleted account, without the person: their customer becomes anonymous. */
  async anonymiseCustomer(tx: Transaction, customerId: string): Promise<void> {
    await tx.updateTable('orders').set({ customerId: null, updatedAt: new Date() }).where('customerId', '=', customerId).execute();
  }

  /**
   * The one way an order changes status: under a row lock on the order, so concurrent triggers
   * serialise. A person gets FORBIDDEN/CONFLICT; a repeated event is a no-op; an early one is retried;
   * an impossible one is parked. The result is built from what was read and written, not read again.
   */
  private async transition(tx: Transaction, orderId: string, transition: Transition): Promise<OrderRow | undefined> {
    // A locking read sees the latest commit; the owner comes from the projection in the same statement,
    // unlocked (at READ COMMITTED a locking read does not lock the rows its subquery reads).
    const locked = await tx
      .selectFrom('orders')
      .selectAll('orders')
      .select((eb) => eb.selectFrom('storeOwners').select('ownerId').whereRef('storeOwners.storeId', '=', 'orders.storeId').as('storeOwnerId'))
      .where('orders.id', '=', orderId)
      .forUpdate()
      .executeTakeFirst();
    if (!locked) {
      if (transition.actor.kind === 'person') throw notFound('no such order');
      throw new PermanentEventError(`no order ${orderId}`);
    }
    const { storeOwnerId, ...order } = locked;
    const decision = decide({ status: order.status as OrderStatus, customerId: order.customerId, storeOwnerId }, transition.trigger, transition.actor);
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
    const lines = await tx.selectFrom('orderLines').selectAll().where('orderId', '=', orderId).orderBy('lineNo').execute();
    const updatedAt = new Date();
    await tx
      .updateTable('orders')
      .set({ ...transition.set, status: decision.to, updatedAt })
      .where('id', '=', orderId)
      .execute();
    const actorId = transition.actor.kind === 'person' ? transition.actor.userId : null;
    await tx
      .insertInto('orderStatusChanges')
      .values({ orderId, fromStatus: decision.from, toStatus: decision.to, trigger: transition.trigger, actorId, eventId: transition.eventId ?? null, reason: transition.reason ?? null })
      .execute();
    const prices = transition.linePrices;
    const [firstPrice, ...otherPrices] = prices ?? [];
    if (firstPrice) {
      const priced: PickPrices = [firstPrice, ...otherPrices];
      await tx
        .updateTable('orderLines')
        .set((eb) => ({ unitPriceMinor: byPick(eb, priced, (price) => price.unitPriceMinor), currency: byPick(eb, priced, (price) => price.currency) }))
        .where('orderId', '=', orderId)
        .where('pickId', 'in', priced.map(([pickId]) => pickId))
        .execute();
    }
    const updated: OrderRow = {
      ...order,
      ...transition.set,
      status: decision.to,
      updatedAt,
      lines: prices ? lines.map((line) => ({ ...line, ...prices.get(line.pickId) })) : lines,
    };
    await enqueueEvent(tx, transition.announce(updated, decision.from));
    return updated;
  }

  /** A transition asked for by a person (GraphQL mutation), in its own transaction. */
  private async transitionByPerson(orderId: string, transition: Transition): Promise<OrderRow> {
    const updated = await this.db.transaction().execute((tx) => this.transition(tx, orderId, transition));
    this.relay.wake();
    return updated ?? this.findByIdOrThrow(orderId);
  }

  private async findByIdOrThrow(id: string): Promise<OrderRow> {
    const [order] = await this.findByIds([id]);
    if (!order) throw notFound('no such order');
    return order;
  }

  private async findByIdempotencyKey(customerId: string, idempotencyKey: string): Promise<OrderRow | null> {
    const order = await this.db.selectFrom('orders').selectAll().where('customerId', '=', customerId).where('idempotencyKey', '=', idempotencyKey).executeTakeFirst();
    if (!order) return null;
    const [withLines] = await this.withLines([order]);
    return withLines ?? null;
  }

  /** The orders with their lines, in line order: one statement for all of them. */
  private async withLines(orders: Selectable<Order>[]): Promise<OrderRow[]> {
    if (orders.length === 0) return [];
    const lines = await this.db
      .selectFrom('orderLines')
      .selectAll()
      .where('orderId', 'in', orders.map((order) => order.id))
      .orderBy('orderId')
      .orderBy('lineNo')
      .execute();
    const byOrder = new Map<string, OrderLineRow[]>(orders.map((order) => [order.id, []]));
    for (const line of lines) byOrder.get(line.orderId)?.push(line);
    return orders.map((order) => ({ ...order, lines: byOrder.get(order.id) ?? [] }));
  }
}

const saga = { kind: 'event' } as const;

/** `CASE pick_id WHEN … THEN … END`: one value per pick, so all lines are priced in one statement. */
function byPick<T extends string | number | null>(eb: ExpressionBuilder<DB, 'orderLines'>, [first, ...rest]: PickPrices, value: (price: LinePrice) => T) {
  let cases = eb.case().when('pickId', '=', first[0]).then(value(first[1]));
  for (const [pickId, price] of rest) cases = cases.when('pickId', '=', pickId).then(value(price));
  return cases.end();
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
const announcements = {
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
