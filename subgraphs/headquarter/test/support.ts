// Helpers for headquarter's integration tests: a fresh database and a Redis prefix of their own per
// file, and order sagas as the platform's services would publish them.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  buildEvent,
  createLogger,
  DeliveryCancelled,
  DeliveryClaimed,
  DeliveryDelivered,
  DeliveryPickedUp,
  DeliveryRequested,
  mariadbAdapter,
  OrderAccepted,
  OrderCancelled,
  OrderConfirmed,
  OrderDelivered,
  OrderOutForDelivery,
  OrderPlaced,
  OrderReadyForPickup,
  OrderRejected,
  runWithContext,
  StockCommitted,
  StockRejected,
  StockReleased,
  StockReserved,
  StoreCreated,
  StoreStatusChanged,
  type EventData,
  type EventDefinition,
  type EventEnvelope,
  type StoreStatus,
} from '@x/kit';
import { createTestDatabase } from '@x/kit/testing';
import { Redis } from 'ioredis';
import { headquarterSubscriptions } from '../src/events/handlers';
import { headquarterProjections, type Projection } from '../src/events/projections';
import { AuditTrail } from '../src/store/audit-trail';
import { PrismaClient } from '../src/store/generated/client';
import { KpiStore } from '../src/store/kpis';
import { StoreStates } from '../src/store/store-states';

export const testLog = createLogger('headquarter-test', process.env.TEST_LOG_LEVEL ?? 'silent');
const migrationsDir = path.resolve(__dirname, '../../../prisma/headquarter/migrations');

export interface Headquarter {
  db: PrismaClient;
  redis: Redis;
  prefix: string;
  audit: AuditTrail;
  stores: StoreStates;
  kpis: KpiStore;
  projections: Projection[];
  subscriptions: ReturnType<typeof headquarterSubscriptions>;
  /** Applies events the way the consumer does (inbox row, then the handler, in one transaction), one after another. */
  consume(events: readonly EventEnvelope[]): Promise<void>;
  close(): Promise<void>;
}

export async function openHeadquarter(label: string): Promise<Headquarter> {
  const database = await createTestDatabase(`hq_${label}`, migrationsDir);
  const db = new PrismaClient({ adapter: mariadbAdapter(database.url, 5) });
  const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const prefix = `hq-test-${randomUUID().slice(0, 8)}:`;
  const audit = new AuditTrail(db);
  const stores = new StoreStates(db);
  const kpis = new KpiStore(redis, { prefix, guardTtlSeconds: 3600 });
  const projections = headquarterProjections(stores);
  const subscriptions = headquarterSubscriptions(projections, audit, kpis);
  const byType = new Map(subscriptions.map((subscription) => [subscription.definition.type, subscription]));
  return {
    db,
    redis,
    prefix,
    audit,
    stores,
    kpis,
    projections,
    subscriptions,
    async consume(events) {
      for (const event of events) {
        const subscription = byType.get(event.type);
        if (!subscription) throw new Error(`no subscription for ${event.type}`);
        await db.$transaction(async (tx) => {
          await tx.inboxEvent.create({ data: { consumer: 'headquarter', eventId: event.id, eventType: event.type } });
          await subscription.handle(event, tx);
        });
      }
    },
    async close() {
      await kpis.clear();
      await redis.quit();
      await db.$disconnect();
      await database.drop();
    },
  };
}

/** Retries a check until it passes or ten seconds pass (then throws its last error). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

const minutes = (n: number) => n * 60_000;
const seconds = (n: number) => n * 1_000;

/**
 * Events of one flow as the platform publishes them: one correlation id per request that started
 * it, each event caused by the one before, at the given time.
 */
class Flow {
  private last: EventEnvelope | undefined;
  readonly correlationId = randomUUID();

  emit<D extends EventDefinition>(definition: D, subject: string, data: EventData<D>, at: Date): EventEnvelope {
    const event = runWithContext({ correlationId: this.correlationId, ...(this.last ? { causationId: this.last.id } : {}) }, () => buildEvent(definition, subject, data));
    this.last = { ...event, time: at.toISOString() };
    return this.last;
  }
}

export type Ending = 'delivered' | 'stockRejected' | 'declined' | 'cancelledAfterClaim' | 'outForDelivery' | 'claimed' | 'pending';

export interface OrderSaga {
  orderId: string;
  storeId: string;
  courierId: string;
  /** The correlation id of placeOrder's flow: placed, then picks' answer, then confirmed or rejected. */
  placementCorrelationId: string;
  events: EventEnvelope[];
}

const address = { recipient: 'Ada', lines: ['1 Analytical St'], city: 'London', postalCode: 'N1 9GU', country: 'GB', location: { lat: 51.5, lng: -0.1 }, phone: null };

/**
 * One order from placement to `ending`, with a flow per request (place, accept, ready, claim, pick up,
 * deliver, cancel) and picks' and order-delivery's answers inside them.
 */
export function orderSaga(options: { storeId: string; placedAt: Date; ending: Ending; totalMinor?: number; deliveryMinutes?: number; courierId?: string }): OrderSaga {
  const { storeId, placedAt, ending } = options;
  const orderId = randomUUID();
  const deliveryId = randomUUID();
  const customerId = randomUUID();
  const courierId = options.courierId ?? randomUUID();
  const totalMinor = options.totalMinor ?? 1500;
  const lines = [{ pickId: randomUUID(), quantity: 2 }];
  const priced = lines.map((line) => ({ ...line, unitPriceMinor: totalMinor / 2, currency: 'EUR' }));
  const ref = { orderId, customerId, storeId };
  const delivery = { deliveryId, orderId, storeId };
  const at = (offsetMs: number) => new Date(placedAt.getTime() + offsetMs);
  const events: EventEnvelope[] = [];

  const placement = new Flow();
  events.push(placement.emit(OrderPlaced, orderId, { ...ref, lines, deliveryAddress: address }, at(0)));
  if (ending === 'pending') return { orderId, storeId, courierId, placementCorrelationId: placement.correlationId, events };
  if (ending === 'stockRejected') {
    events.push(placement.emit(StockRejected, orderId, { orderId, storeId, reasons: [{ pickId: lines[0]!.pickId, reason: 'OUT_OF_STOCK', requested: 2, available: 1 }] }, at(seconds(1))));
    events.push(placement.emit(OrderRejected, orderId, { ...ref, reason: 'STOCK_REJECTED', stockReserved: false, message: null }, at(seconds(2))));
    return { orderId, storeId, courierId, placementCorrelationId: placement.correlationId, events };
  }
  events.push(placement.emit(StockReserved, orderId, { orderId, storeId, lines: priced, totalMinor, currency: 'EUR' }, at(seconds(1))));
  events.push(placement.emit(OrderConfirmed, orderId, { ...ref, lines: priced, totalMinor, currency: 'EUR' }, at(seconds(2))));
  if (ending === 'declined') {
    const decline = new Flow();
    events.push(decline.emit(OrderRejected, orderId, { ...ref, reason: 'DECLINED_BY_STORE', stockReserved: true, message: 'closing early' }, at(minutes(1))));
    events.push(decline.emit(StockReleased, orderId, { orderId, storeId, lines }, at(minutes(1) + seconds(1))));
    return { orderId, storeId, courierId, placementCorrelationId: placement.correlationId, events };
  }
  const accept = new Flow();
  events.push(accept.emit(OrderAccepted, orderId, { ...ref, deliveryAddress: address, totalMinor, currency: 'EUR' }, at(minutes(1))));
  events.push(accept.emit(DeliveryRequested, deliveryId, { ...delivery, pickup: { lat: 51.5, lng: -0.1 }, dropoff: address }, at(minutes(1) + seconds(1))));
  events.push(new Flow().emit(OrderReadyForPickup, orderId, ref, at(minutes(5))));
  events.push(new Flow().emit(DeliveryClaimed, deliveryId, { ...delivery, courierId }, at(minutes(6))));
  if (ending === 'claimed') return { orderId, storeId, courierId, placementCorrelationId: placement.correlationId, events };
  if (ending === 'cancelledAfterClaim') {
    const cancel = new Flow();
    events.push(cancel.emit(OrderCancelled, orderId, { ...ref, cancelledBy: customerId, reason: 'too slow', stockReserved: true, previousStatus: 'READY_FOR_PICKUP' }, at(minutes(7))));
    events.push(cancel.emit(StockReleased, orderId, { orderId, storeId, lines }, at(minutes(7) + seconds(1))));
    events.push(cancel.emit(DeliveryCancelled, deliveryId, { ...delivery, reason: 'order cancelled' }, at(minutes(7) + seconds(2))));
    return { orderId, storeId, courierId, placementCorrelationId: placement.correlationId, events };
  }
  const pickUp = new Flow();
  events.push(pickUp.emit(DeliveryPickedUp, deliveryId, { ...delivery, courierId }, at(minutes(8))));
  events.push(pickUp.emit(OrderOutForDelivery, orderId, { ...ref, courierId }, at(minutes(8) + seconds(1))));
  if (ending === 'outForDelivery') return { orderId, storeId, courierId, placementCorrelationId: placement.correlationId, events };
  const deliveredAt = at(minutes(options.deliveryMinutes ?? 30));
  const deliver = new Flow();
  events.push(deliver.emit(DeliveryDelivered, deliveryId, { ...delivery, courierId }, new Date(deliveredAt.getTime() - seconds(1))));
  events.push(
    deliver.emit(
      OrderDelivered,
      orderId,
      { ...ref, courierId, lines: priced, totalMinor, currency: 'EUR', placedAt: placedAt.toISOString(), deliveredAt: deliveredAt.toISOString() },
      deliveredAt,
    ),
  );
  events.push(deliver.emit(StockCommitted, orderId, { orderId, storeId, lines }, new Date(deliveredAt.getTime() + seconds(1))));
  return { orderId, storeId, courierId, placementCorrelationId: placement.correlationId, events };
}

/** A store's creation (PENDING_APPROVAL) and, optionally, the hq_admin's decision. */
export function storeLife(options: { createdAt: Date; becomes?: StoreStatus; name?: string }): { storeId: string; ownerId: string; events: EventEnvelope[] } {
  const storeId = randomUUID();
  const ownerId = randomUUID();
  const snapshot = { storeId, ownerId, name: options.name ?? `Store ${storeId.slice(0, 4)}`, categoryIds: [], city: 'London', location: { lat: 51.5, lng: -0.1 } };
  const events = [new Flow().emit(StoreCreated, storeId, { ...snapshot, status: 'PENDING_APPROVAL', revision: 1 }, options.createdAt)];
  if (options.becomes) {
    const at = new Date(options.createdAt.getTime() + minutes(30));
    events.push(new Flow().emit(StoreStatusChanged, storeId, { ...snapshot, status: options.becomes, revision: 2, previousStatus: 'PENDING_APPROVAL', changedBy: randomUUID(), reason: null }, at));
  }
  return { storeId, ownerId, events };
}
