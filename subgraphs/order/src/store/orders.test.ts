import { randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  AuthUserDeleted,
  buildEvent,
  connectBroker,
  connectSql,
  createLogger,
  DeliveryClaimed,
  DeliveryDelivered,
  DeliveryPickedUp,
  DomainError,
  OutboxRelay,
  relayDatabase,
  startConsumer,
  StockRejected,
  StockReserved,
  StoreCreated,
  StoreUpdated,
  type Broker,
  type Consumer,
  type SqlDatabase,
} from '@x/kit';
import { createTestDatabase } from '@x/kit/testing';
import { removeTestTopology } from '../../../../test/support/broker';
import { orderSubscriptions } from '../events/handlers';
import type { PlaceOrderInput } from '../domain/place-order';
import type { Database } from './database';
import type { DB } from './generated/tables';
import { OrderStore } from './orders';

const log = createLogger('order-test', 'silent');
const exchange = `x.events.test-order-${randomUUID().slice(0, 8)}`;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let sql: SqlDatabase<DB>;
let db: Database;
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
  sql = connectSql<DB>(database.url, { connectionLimit: 5 });
  db = sql.db;
  broker = await connectBroker({ url: 'amqp://guest:guest@127.0.0.1:5672', exchange, name: 'order-test', log });
  relay = new OutboxRelay({ db: relayDatabase(db), broker, log, pollIntervalMs: 50 });
  orders = new OrderStore(db, relay);
  consumer = await startConsumer({
    broker,
    queue: 'order',
    subscriptions: orderSubscriptions(orders),
    transaction: (work) => db.transaction().execute(work),
    log,
    retryDelaysMs: [100, 200, 400, 800],
  });
  await broker.publish(buildEvent(StoreCreated, storeId, { storeId, ownerId, name: 'Corner', status: 'OPEN', categoryIds: [], city: 'London', location: { lat: 51.5, lng: -0.1 } }));
  await eventually(() => db.selectFrom('storeOwners').select('ownerId').where('storeId', '=', storeId).executeTakeFirst(), (row) => row !== undefined);
});

const inboxCount = async (eventId: string) =>
  Number((await db.selectFrom('inbox').select((eb) => eb.fn.countAll().as('n')).where('eventId', '=', eventId).executeTakeFirstOrThrow()).n);

afterAll(async () => {
  await consumer.stop();
  await relay.stop();
  await broker.close();
  await removeTestTopology(exchange, ['order']);
  await sql.close();
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

const orderRow = (id: string) => db.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const statusOf = async (id: string) => (await orderRow(id)).status;
const untilStatus = (id: string, status: string) => eventually(() => statusOf(id), (current) => current === status);
const outboxTypes = async (orderId: string) =>
  (await db.selectFrom('outbox').select(['type', 'payload']).orderBy('seq').execute())
    .filter((row) => (JSON.parse(row.payload) as { subject: string }).subject === orderId)
    .map((row) => row.type);
const outboxPayloads = async (type: string, orderId: string) =>
  (await db.selectFrom('outbox').select('payload').where('type', '=', type).orderBy('seq').execute()).filter((row) => row.payload.includes(orderId));
const history = (orderId: string) => db.selectFrom('orderStatusChanges').selectAll().where('orderId', '=', orderId).orderBy('id').execute();

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
    expect(await db.selectFrom('orders').select('id').where('customerId', '=', customerId).execute()).toHaveLength(1);
  });
});

describe('following the saga', () => {
  it("prices each line at its pick's price, two lines of the same pick included, in one transaction of six statements", async () => {
    const order = await orders.place(randomUUID(), input({ lines: [{ pickId: pickA, quantity: 2 }, { pickId: pickB, quantity: 1 }, { pickId: pickA, quantity: 3 }] }));
    const statements: string[] = [];
    // Its own pool, so that the relay's and the consumer's statements on `db` are not counted.
    const counting = connectSql<DB>(database.url, { connectionLimit: 1, onQuery: (statement) => statements.push(statement) });
    try {
      const reserved = {
        lines: [
          { pickId: pickA, quantity: 2, unitPriceMinor: 250, currency: 'EUR' },
          { pickId: pickB, quantity: 1, unitPriceMinor: 1000, currency: 'EUR' },
          { pickId: pickA, quantity: 3, unitPriceMinor: 250, currency: 'EUR' },
        ],
        totalMinor: 2250,
        currency: 'EUR',
      };
      const inTransaction = await counting.db.transaction().execute(async (tx) => {
        const before = statements.length;
        await new OrderStore(counting.db, relay).confirmWithPrices(tx, order.id, reserved, randomUUID());
        return statements.length - before;
      });
      // Lock and read the order with its store's owner, its lines; write the order, the history row, the line prices, the event.
      expect(inTransaction).toBe(6);
    } finally {
      await counting.close();
    }
    const lines = await db.selectFrom('orderLines').selectAll().where('orderId', '=', order.id).orderBy('lineNo').execute();
    expect(lines.map((line) => [line.pickId, line.quantity, line.unitPriceMinor, line.currency])).toEqual([
      [pickA, 2, 250, 'EUR'],
      [pickB, 1, 1000, 'EUR'],
      [pickA, 3, 250, 'EUR'],
    ]);
    expect(await orderRow(order.id)).toMatchObject({ status: 'CONFIRMED', totalMinor: 2250, currency: 'EUR', stockReserved: true });
    const [confirmation] = await outboxPayloads('order.order.confirmed', order.id);
    expect(JSON.parse(confirmation!.payload)).toMatchObject({ data: { totalMinor: 2250, lines: [{ pickId: pickA, quantity: 2 }, { pickId: pickB }, { pickId: pickA, quantity: 3, unitPriceMinor: 250 }] } });
  });

  it("confirms with picks' prices once, however often the reservation arrives", async () => {
    const { order } = await confirmed();
    const stored = { ...(await orderRow(order.id)), lines: await db.selectFrom('orderLines').selectAll().where('orderId', '=', order.id).execute() };
    expect(stored).toMatchObject({ totalMinor: 1500, currency: 'EUR', stockReserved: true });
    expect(stored.lines.map((line) => line.unitPriceMinor).sort()).toEqual([1000, 250]);
    expect(await outboxTypes(order.id)).toEqual(['order.order.placed', 'order.order.confirmed']);
    expect(await history(order.id)).toHaveLength(2);
  });

  it('rejects with the reasons picks gave, and no stock to release', async () => {
    const order = await orders.place(randomUUID(), input());
    await broker.publish(buildEvent(StockRejected, order.id, { orderId: order.id, storeId, reasons: [{ pickId: pickB, reason: 'OUT_OF_STOCK', requested: 1, available: 0 }] }));
    await untilStatus(order.id, 'REJECTED');
    const [row] = await outboxPayloads('order.order.rejected', order.id);
    expect(JSON.parse(row!.payload)).toMatchObject({ data: { reason: 'STOCK_REJECTED', stockReserved: false } });
    expect(JSON.parse((await orderRow(order.id)).rejectionDetails!)).toMatchObject({ lines: [{ pickId: pickB, reason: 'OUT_OF_STOCK' }] });
  });

  it('lets only the store owner accept, then follows the delivery to DELIVERED even when its events arrive out of order', async () => {
    const { order } = await confirmed();
    expect(await codeOf(orders.accept(order.id, { kind: 'person', userId: randomUUID(), roles: ['store_owner'] }))).toBe('FORBIDDEN');
    await orders.accept(order.id, owner);
    await orders.markReady(order.id, owner);
    const deliveryId = randomUUID();
    await broker.publish(buildEvent(DeliveryClaimed, deliveryId, { deliveryId, orderId: order.id, storeId, courierId }));
    // delivered before picked-up: retried until picked-up has been applied.
    await broker.publish(buildEvent(DeliveryDelivered, deliveryId, { deliveryId, orderId: order.id, storeId, courierId }));
    await new Promise((resolve) => setTimeout(resolve, 150));
    await broker.publish(buildEvent(DeliveryPickedUp, deliveryId, { deliveryId, orderId: order.id, storeId, courierId }));
    await untilStatus(order.id, 'DELIVERED');
    expect((await history(order.id)).map((change) => change.toStatus)).toEqual(['PENDING', 'CONFIRMED', 'PREPARING', 'READY_FOR_PICKUP', 'OUT_FOR_DELIVERY', 'DELIVERED']);
    expect(await outboxTypes(order.id)).toEqual([
      'order.order.placed',
      'order.order.confirmed',
      'order.order.accepted',
      'order.order.ready-for-pickup',
      'order.order.out-for-delivery',
      'order.order.delivered',
    ]);
    expect(await codeOf(orders.cancel(order.id, { kind: 'person', userId: randomUUID(), roles: ['hq_admin'] }, null))).toBe('CONFLICT');
  });

  it('declining a confirmed order rejects it and asks picks to release the stock', async () => {
    const { order } = await confirmed();
    const declined = await orders.decline(order.id, owner, 'closing early');
    expect(declined.status).toBe('REJECTED');
    const [row] = await outboxPayloads('order.order.rejected', order.id);
    expect(JSON.parse(row!.payload)).toMatchObject({ data: { reason: 'DECLINED_BY_STORE', stockReserved: true, message: 'closing early' } });
    const stored = await orderRow(order.id);
    expect(stored.rejectionReason).toBe('DECLINED_BY_STORE');
    expect(JSON.parse(stored.rejectionDetails!)).toEqual({ lines: [], message: 'closing early' });
  });

  it('serialises a racing cancel and accept under the row lock: the order ends CANCELLED through legal steps only', async () => {
    const { order, customerId } = await confirmed();
    const customer = { kind: 'person', userId: customerId, roles: ['customer'] } as const;
    const [cancel, accept] = await Promise.all([
      codeOf(orders.cancel(order.id, customer, 'changed my mind')),
      codeOf(orders.accept(order.id, owner)),
    ]);
    expect(cancel).toBe('no error');
    expect(['no error', 'CONFLICT']).toContain(accept);
    const steps = (await history(order.id)).map((change) => change.toStatus);
    expect(steps).toEqual(accept === 'no error' ? ['PENDING', 'CONFIRMED', 'PREPARING', 'CANCELLED'] : ['PENDING', 'CONFIRMED', 'CANCELLED']);
    const cancelled = await outboxPayloads('order.order.cancelled', order.id);
    expect(cancelled).toHaveLength(1);
    expect(JSON.parse(cancelled[0]!.payload)).toMatchObject({ data: { stockReserved: true } });
  });

  it("anonymises a deleted customer's orders and keeps them", async () => {
    const customerId = randomUUID();
    const order = await orders.place(customerId, input());
    await broker.publish(buildEvent(AuthUserDeleted, customerId, { userId: customerId, deletedBy: customerId }));
    const row = await eventually(() => orderRow(order.id), (found) => found.customerId === null);
    expect(row.customerId).toBeNull();
  });

  it('keeps the newest store ownership when a late or replayed store snapshot arrives after it', async () => {
    const store = randomUUID();
    const [first, second] = [randomUUID(), randomUUID()];
    const snapshot = (ownerId: string, revision: number) => ({ storeId: store, ownerId, name: 'Corner', status: 'OPEN' as const, categoryIds: [], city: 'London', location: { lat: 51.5, lng: -0.1 }, revision });
    const created = buildEvent(StoreCreated, store, snapshot(first, 1));
    const handedOver = buildEvent(StoreUpdated, store, { ...snapshot(second, 2), changed: ['ownerId'], previousCategoryIds: [] });
    const ownerOf = () => db.selectFrom('storeOwners').select(['ownerId', 'revision']).where('storeId', '=', store).executeTakeFirst();
    await broker.publish(handedOver);
    await eventually(ownerOf, (row) => row?.ownerId === second);
    // The creation comes late, and then again as a replay with a new event id.
    await broker.publish(created);
    await broker.publish({ ...created, id: randomUUID() });
    await eventually(() => inboxCount(created.id), (count) => count === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await ownerOf()).toEqual({ ownerId: second, revision: 2 });
  });
});
