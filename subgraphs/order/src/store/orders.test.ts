import { randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  AuthUserDeleted,
  buildEvent,
  connectBroker,
  createLogger,
  DeliveryClaimed,
  DeliveryDelivered,
  DeliveryPickedUp,
  DomainError,
  mariadbAdapter,
  OutboxRelay,
  prismaRelayDatabase,
  startConsumer,
  StockRejected,
  StockReserved,
  StoreCreated,
  type Broker,
  type Consumer,
} from '@x/kit';
import { createTestDatabase } from '@x/kit/testing';
import { removeTestTopology } from '../../../../test/support/broker';
import { orderSubscriptions } from '../events/handlers';
import type { PlaceOrderInput } from '../domain/place-order';
import { PrismaClient } from './generated/client';
import { announcements, OrderStore } from './orders';

const log = createLogger('order-test', 'silent');
const exchange = `x.events.test-order-${randomUUID().slice(0, 8)}`;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: PrismaClient;
let broker: Broker;
let relay: OutboxRelay;
let consumer: Consumer;
let orders: OrderStore;

const storeId = randomUUID();
const ownerId = randomUUID();
const courierId = randomUUID();
const pickA = randomUUID();
const pickB = randomUUID();
const address = { recipient: 'Ada', lines: ['1 Analytical St'], city: 'London', postalCode: 'N1 9GU', country: 'GB', location: { lat: 51.5, lng: -0.1 }, phone: null };
const owner = { kind: 'person', userId: ownerId, roles: ['store_owner'] } as const;

beforeAll(async () => {
  database = await createTestDatabase('order_saga', path.resolve(__dirname, '../../../../prisma/order/migrations'));
  db = new PrismaClient({ adapter: mariadbAdapter(database.url, 5) });
  broker = await connectBroker({ url: 'amqp://guest:guest@127.0.0.1:5672', exchange, name: 'order-test', log });
  relay = new OutboxRelay({ db: prismaRelayDatabase(db), broker, log, pollIntervalMs: 50 });
  orders = new OrderStore(db, relay);
  consumer = await startConsumer({
    broker,
    queue: 'order',
    subscriptions: orderSubscriptions(orders),
    transaction: (work) => db.$transaction(work),
    log,
    retryDelaysMs: [100, 200, 400, 800],
  });
  await broker.publish(buildEvent(StoreCreated, storeId, { storeId, ownerId, name: 'Corner', status: 'OPEN', categoryIds: [], city: 'London', location: { lat: 51.5, lng: -0.1 } }));
  await eventually(() => db.storeOwner.count({ where: { storeId } }), (count) => count === 1);
});

afterAll(async () => {
  await consumer.stop();
  await relay.stop();
  await broker.close();
  await removeTestTopology(exchange, ['order']);
  await db.$disconnect();
  await database.drop();
});

async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const input = (overrides: Partial<PlaceOrderInput> = {}): PlaceOrderInput => ({
  storeId,
  lines: [
    { pickId: pickA, quantity: 2 },
    { pickId: pickB, quantity: 1 },
  ],
  deliveryAddress: address,
  idempotencyKey: randomUUID(),
  ...overrides,
});

const statusOf = async (id: string) => (await db.order.findUniqueOrThrow({ where: { id } })).status;
const untilStatus = (id: string, status: string) => eventually(() => statusOf(id), (current) => current === status);
const outboxTypes = async (orderId: string) =>
  (await db.outboxEvent.findMany({ orderBy: { seq: 'asc' } })).filter((row) => (JSON.parse(row.payload) as { subject: string }).subject === orderId).map((row) => row.type);

async function confirmed(customerId = randomUUID()) {
  const order = await orders.place(customerId, input());
  await broker.publish(
    buildEvent(StockReserved, order.id, {
      orderId: order.id,
      storeId,
      lines: [
        { pickId: pickA, quantity: 2, unitPriceMinor: 250, currency: 'EUR' },
        { pickId: pickB, quantity: 1, unitPriceMinor: 1000, currency: 'EUR' },
      ],
      totalMinor: 1500,
      currency: 'EUR',
    }),
  );
  await untilStatus(order.id, 'CONFIRMED');
  return { order, customerId };
}

async function codeOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
    return 'no error';
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
}

describe('placing an order', () => {
  it('writes a PENDING order and order.order.placed in one transaction', async () => {
    const customerId = randomUUID();
    const order = await orders.place(customerId, input());
    expect(order.status).toBe('PENDING');
    expect(order.lines.map((line) => [line.pickId, line.quantity])).toEqual([
      [pickA, 2],
      [pickB, 1],
    ]);
    expect(await outboxTypes(order.id)).toEqual(['order.order.placed']);
  });

  it('returns the same order for the same idempotency key, even for racing requests', async () => {
    const customerId = randomUUID();
    const same = input();
    const placed = await Promise.all([1, 2, 3, 4].map(() => orders.place(customerId, same)));
    expect(new Set(placed.map((order) => order.id)).size).toBe(1);
    expect(await db.order.count({ where: { customerId } })).toBe(1);
  });
});

describe('following the saga', () => {
  it("confirms with picks' prices once, however often the reservation arrives", async () => {
    const { order } = await confirmed();
    const stored = await db.order.findUniqueOrThrow({ where: { id: order.id }, include: { lines: true } });
    expect(stored).toMatchObject({ totalMinor: 1500, currency: 'EUR', stockReserved: true });
    expect(stored.lines.map((line) => line.unitPriceMinor).sort()).toEqual([1000, 250]);
    expect(await outboxTypes(order.id)).toEqual(['order.order.placed', 'order.order.confirmed']);
    expect(await db.statusChange.count({ where: { orderId: order.id } })).toBe(2);
  });

  it('rejects with the reasons picks gave, and no stock to release', async () => {
    const order = await orders.place(randomUUID(), input());
    await broker.publish(buildEvent(StockRejected, order.id, { orderId: order.id, storeId, reasons: [{ pickId: pickB, reason: 'OUT_OF_STOCK', requested: 1, available: 0 }] }));
    await untilStatus(order.id, 'REJECTED');
    const row = (await db.outboxEvent.findMany({ where: { type: 'order.order.rejected' } })).find((r) => r.payload.includes(order.id));
    expect(JSON.parse(row!.payload)).toMatchObject({ data: { reason: 'STOCK_REJECTED', stockReserved: false } });
    expect(JSON.parse((await db.order.findUniqueOrThrow({ where: { id: order.id } })).rejectionDetails!)).toMatchObject({ lines: [{ pickId: pickB, reason: 'OUT_OF_STOCK' }] });
  });

  it('lets only the store owner accept, then follows the delivery to DELIVERED even when its events arrive out of order', async () => {
    const { order } = await confirmed();
    expect(await codeOf(orders.transitionByPerson(order.id, { trigger: 'accept', actor: { kind: 'person', userId: randomUUID(), roles: ['store_owner'] }, announce: announcements.accepted }))).toBe('FORBIDDEN');
    await orders.transitionByPerson(order.id, { trigger: 'accept', actor: owner, announce: announcements.accepted });
    await orders.transitionByPerson(order.id, { trigger: 'markReady', actor: owner, announce: announcements.readyForPickup });
    const deliveryId = randomUUID();
    await broker.publish(buildEvent(DeliveryClaimed, deliveryId, { deliveryId, orderId: order.id, storeId, courierId }));
    // delivered before picked-up: retried until picked-up has been applied.
    await broker.publish(buildEvent(DeliveryDelivered, deliveryId, { deliveryId, orderId: order.id, storeId, courierId }));
    await new Promise((resolve) => setTimeout(resolve, 150));
    await broker.publish(buildEvent(DeliveryPickedUp, deliveryId, { deliveryId, orderId: order.id, storeId, courierId }));
    await untilStatus(order.id, 'DELIVERED');
    const history = await db.statusChange.findMany({ where: { orderId: order.id }, orderBy: { id: 'asc' } });
    expect(history.map((change) => change.toStatus)).toEqual(['PENDING', 'CONFIRMED', 'PREPARING', 'READY_FOR_PICKUP', 'OUT_FOR_DELIVERY', 'DELIVERED']);
    expect(await outboxTypes(order.id)).toEqual([
      'order.order.placed',
      'order.order.confirmed',
      'order.order.accepted',
      'order.order.ready-for-pickup',
      'order.order.out-for-delivery',
      'order.order.delivered',
    ]);
    expect(await codeOf(orders.transitionByPerson(order.id, { trigger: 'cancel', actor: { kind: 'person', userId: randomUUID(), roles: ['hq_admin'] }, announce: announcements.cancelled(randomUUID(), null) }))).toBe('CONFLICT');
  });

  it('declining a confirmed order rejects it and asks picks to release the stock', async () => {
    const { order } = await confirmed();
    const declined = await orders.transitionByPerson(order.id, {
      trigger: 'decline',
      actor: owner,
      reason: 'closing early',
      patch: { rejectionReason: 'DECLINED_BY_STORE' },
      announce: announcements.rejected('DECLINED_BY_STORE', 'closing early'),
    });
    expect(declined.status).toBe('REJECTED');
    const row = (await db.outboxEvent.findMany({ where: { type: 'order.order.rejected' } })).find((r) => r.payload.includes(order.id));
    expect(JSON.parse(row!.payload)).toMatchObject({ data: { reason: 'DECLINED_BY_STORE', stockReserved: true, message: 'closing early' } });
  });

  it('serialises a racing cancel and accept under the row lock: the order ends CANCELLED through legal steps only', async () => {
    const { order, customerId } = await confirmed();
    const customer = { kind: 'person', userId: customerId, roles: ['customer'] } as const;
    const [cancel, accept] = await Promise.all([
      codeOf(orders.transitionByPerson(order.id, { trigger: 'cancel', actor: customer, announce: announcements.cancelled(customerId, 'changed my mind') })),
      codeOf(orders.transitionByPerson(order.id, { trigger: 'accept', actor: owner, announce: announcements.accepted })),
    ]);
    expect(cancel).toBe('no error');
    expect(['no error', 'CONFLICT']).toContain(accept);
    const steps = (await db.statusChange.findMany({ where: { orderId: order.id }, orderBy: { id: 'asc' } })).map((change) => change.toStatus);
    expect(steps).toEqual(accept === 'no error' ? ['PENDING', 'CONFIRMED', 'PREPARING', 'CANCELLED'] : ['PENDING', 'CONFIRMED', 'CANCELLED']);
    const cancelled = (await db.outboxEvent.findMany({ where: { type: 'order.order.cancelled' } })).filter((r) => r.payload.includes(order.id));
    expect(cancelled).toHaveLength(1);
    expect(JSON.parse(cancelled[0]!.payload)).toMatchObject({ data: { stockReserved: true } });
  });

  it("anonymises a deleted customer's orders and keeps them", async () => {
    const customerId = randomUUID();
    const order = await orders.place(customerId, input());
    await broker.publish(buildEvent(AuthUserDeleted, customerId, { userId: customerId, deletedBy: customerId }));
    const row = await eventually(() => db.order.findUniqueOrThrow({ where: { id: order.id } }), (found) => found.customerId === null);
    expect(row.customerId).toBeNull();
  });
});
