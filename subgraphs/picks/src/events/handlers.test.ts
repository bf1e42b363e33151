import { randomUUID } from 'node:crypto';
import {
  buildEvent,
  connectBroker,
  listDeadLetters,
  OrderCancelled,
  OrderDelivered,
  OrderPlaced,
  OrderRejected,
  OutboxRelay,
  relayDatabase,
  startConsumer,
  StoreCreated,
  StoreStatusChanged,
  StoreUpdated,
  type Broker,
  type Consumer,
  type SqlDatabase,
  type StoreStatus,
} from '@x/kit';
import { removeTestTopology } from '../../../../test/support/broker';
import { anonymous, startSubgraphHarness, type Caller, type SubgraphHarness } from '../../../../test/support/subgraph-harness';
import { eventually, openSql, openTestDatabase, testLog, type TestDatabase } from '../../test/support';
import { picksContext } from '../schema/context';
import { resolvers, typeDefs } from '../schema/resolvers';
import type { Database, Transaction } from '../store/database';
import type { DB } from '../store/generated/tables';
import { PickStore } from '../store/picks';
import { ReservationStore } from '../store/reservations';
import { StoreDirectory } from '../store/stores';
import { picksSubscriptions } from './handlers';

const exchange = `x.events.test-picks-${randomUUID().slice(0, 8)}`;

let database: TestDatabase;
let sql: SqlDatabase<DB>;
let db: Database;
let broker: Broker;
let relay: OutboxRelay;
let consumer: Consumer;
let stores: StoreDirectory;
let picks: PickStore;
let harness: SubgraphHarness;

beforeAll(async () => {
  database = await openTestDatabase('events');
  sql = openSql(database.url);
  db = sql.db;
  broker = await connectBroker({ url: 'amqp://guest:guest@127.0.0.1:5672', exchange, name: 'picks-test', log: testLog });
  const transaction = <R>(work: (tx: Transaction) => Promise<R>) => db.transaction().execute(work);
  relay = new OutboxRelay({ db: relayDatabase(db), broker, log: testLog, pollIntervalMs: 50 });
  stores = new StoreDirectory(db);
  picks = new PickStore(db, relay);
  consumer = await startConsumer({ broker, queue: 'picks', subscriptions: picksSubscriptions(stores, new ReservationStore(db, relay)), transaction, log: testLog, relay });
  harness = await startSubgraphHarness({ name: 'picks', typeDefs, resolvers, context: picksContext(picks, stores) });
});

afterAll(async () => {
  await harness.close();
  await consumer.stop();
  await relay.stop();
  await broker.close();
  await removeTestTopology(exchange, ['picks']);
  await sql.close();
  await database.drop();
});

function snapshot(storeId: string, ownerId: string, status: StoreStatus, revision?: number) {
  return { storeId, ownerId, name: 'Corner shop', status, categoryIds: [], city: 'Lisbon', location: { lat: 38.72, lng: -9.14 }, ...(revision ? { revision } : {}) };
}

const statusChanged = (storeId: string, ownerId: string, previousStatus: StoreStatus, status: StoreStatus, revision?: number) =>
  buildEvent(StoreStatusChanged, storeId, { ...snapshot(storeId, ownerId, status, revision), previousStatus, changedBy: randomUUID(), reason: null });

const projected = (storeId: string) => db.selectFrom('stores').selectAll().where('id', '=', storeId).executeTakeFirst();
const inboxRows = async (eventId: string) =>
  Number((await db.selectFrom('inbox').select((eb) => eb.fn.countAll().as('n')).where('eventId', '=', eventId).executeTakeFirstOrThrow()).n);

async function handled(eventId: string): Promise<void> {
  await eventually(async () => expect(await inboxRows(eventId)).toBe(1));
}

async function publicNames(storeId: string, caller: Caller = anonymous): Promise<string[]> {
  const answer = await harness.request<{ _entities: { picks: { edges: { node: { name: string } }[] } }[] }>(
    'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Store { picks { edges { node { name } } } } } }',
    { representations: [{ __typename: 'Store', id: storeId }] },
    caller,
  );
  return answer.data!._entities[0]!.picks.edges.map((edge) => edge.node.name);
}

describe('picks follows store events', () => {
  it('records a created store once, however often the event is delivered', async () => {
    const storeId = randomUUID();
    const ownerId = randomUUID();
    const created = buildEvent(StoreCreated, storeId, snapshot(storeId, ownerId, 'PENDING_APPROVAL', 1));
    await broker.publish(created);
    await broker.publish(created);

    await handled(created.id);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await inboxRows(created.id)).toBe(1);
    expect(await projected(storeId)).toMatchObject({ ownerId, status: 'PENDING_APPROVAL', revision: 1 });
  });

  it('shows a store’s picks to the public only while it is OPEN', async () => {
    const storeId = randomUUID();
    const ownerId = randomUUID();
    const created = buildEvent(StoreCreated, storeId, snapshot(storeId, ownerId, 'PENDING_APPROVAL', 1));
    await broker.publish(created);
    await handled(created.id);
    await picks.create(storeId, { name: 'Lemon tart', description: null, price: { amountMinor: 390, currency: 'EUR' }, stock: 3, available: true, images: [], tags: [] });
    expect(await publicNames(storeId)).toEqual([]);

    const approved = statusChanged(storeId, ownerId, 'PENDING_APPROVAL', 'OPEN', 2);
    await broker.publish(approved);
    await handled(approved.id);
    expect(await publicNames(storeId)).toEqual(['Lemon tart']);

    const suspended = statusChanged(storeId, ownerId, 'OPEN', 'SUSPENDED', 3);
    await broker.publish(suspended);
    await handled(suspended.id);
    expect(await publicNames(storeId)).toEqual([]);
    const owner = await harness.caller(['store_owner'], ownerId);
    expect(await publicNames(storeId, owner)).toEqual(['Lemon tart']);
  });

  it('keeps the newer snapshot when an older one arrives late, by revision and, without one, by event time', async () => {
    const storeId = randomUUID();
    const ownerId = randomUUID();
    const opened = statusChanged(storeId, ownerId, 'PENDING_APPROVAL', 'OPEN', 5);
    await broker.publish(opened);
    await handled(opened.id);

    const staleUpdate = buildEvent(StoreUpdated, storeId, { ...snapshot(storeId, ownerId, 'PENDING_APPROVAL', 4), changed: ['name'], previousCategoryIds: [] });
    await broker.publish(staleUpdate);
    await handled(staleUpdate.id);
    expect(await projected(storeId)).toMatchObject({ status: 'OPEN', revision: 5 });

    const otherStore = randomUUID();
    const closed = statusChanged(otherStore, ownerId, 'OPEN', 'CLOSED');
    const olderOpen = { ...statusChanged(otherStore, ownerId, 'PENDING_APPROVAL', 'OPEN'), time: new Date(Date.now() - 60_000).toISOString() };
    await broker.publish(closed);
    await handled(closed.id);
    await broker.publish(olderOpen);
    await handled(olderOpen.id);
    expect(await projected(otherStore)).toMatchObject({ status: 'CLOSED', revision: null });
  });

  it('publishes picks.pick.created through the outbox once the broker confirms it', async () => {
    const storeId = randomUUID();
    const created = buildEvent(StoreCreated, storeId, snapshot(storeId, randomUUID(), 'OPEN'));
    await broker.publish(created);
    await handled(created.id);
    relay.start();

    const pick = await picks.create(storeId, { name: 'Espresso', description: null, price: { amountMinor: 120, currency: 'EUR' }, stock: 50, available: true, images: [], tags: ['coffee'] });

    const row = await db.selectFrom('outbox').select('id').where('type', '=', 'picks.pick.created').where('payload', 'like', `%${pick.id}%`).executeTakeFirstOrThrow();
    await eventually(async () => expect((await db.selectFrom('outbox').select('sentAt').where('id', '=', row.id).executeTakeFirstOrThrow()).sentAt).not.toBeNull());
  });
});

describe('picks answers the order saga', () => {
  let storeId: string;
  let pickId: string;

  beforeAll(async () => {
    storeId = randomUUID();
    const created = buildEvent(StoreCreated, storeId, snapshot(storeId, randomUUID(), 'OPEN'));
    await broker.publish(created);
    await handled(created.id);
    pickId = (await picks.create(storeId, { name: 'Pastel de nata', description: null, price: { amountMinor: 130, currency: 'EUR' }, stock: 10, available: true, images: [], tags: [] })).id;
  });

  const ref = (orderId: string) => ({ orderId, customerId: randomUUID(), storeId });
  const placed = (orderId: string, quantity: number) =>
    buildEvent(OrderPlaced, orderId, {
      ...ref(orderId),
      lines: [{ pickId, quantity }],
      deliveryAddress: { recipient: 'Ada', lines: ['Rua Augusta 1'], city: 'Lisbon', postalCode: '1100-048', country: 'PT', location: null, phone: null },
    });
  const levels = () => db.selectFrom('picks').select(['stock', 'reserved']).where('id', '=', pickId).executeTakeFirstOrThrow();
  const answers = async (orderId: string) =>
    (await db.selectFrom('outbox').select('payload').where('type', 'like', 'picks.stock.%').orderBy('seq').execute())
      .map((row) => JSON.parse(row.payload) as { type: string; subject: string })
      .filter((event) => event.subject === orderId)
      .map((event) => event.type);

  it('reserves a placed order once, however often it arrives, and answers picks.stock.reserved', async () => {
    const orderId = randomUUID();
    const event = placed(orderId, 3);
    const republished = { ...event, id: randomUUID() };
    await broker.publish(event);
    await broker.publish(event);
    await broker.publish(republished);
    await handled(event.id);
    await handled(republished.id);

    expect(await levels()).toEqual({ stock: 10, reserved: 3 });
    expect(await answers(orderId)).toEqual(['picks.stock.reserved']);

    const cancelled = buildEvent(OrderCancelled, orderId, { ...ref(orderId), cancelledBy: randomUUID(), reason: null, stockReserved: true, previousStatus: 'CONFIRMED' });
    await broker.publish(cancelled);
    await handled(cancelled.id);
    expect(await levels()).toEqual({ stock: 10, reserved: 0 });
    expect(await answers(orderId)).toEqual(['picks.stock.reserved', 'picks.stock.released']);
  });

  it('releases stock of an order the store declined, and commits the stock of a delivered one', async () => {
    const declined = randomUUID();
    const delivered = randomUUID();
    for (const event of [placed(declined, 2), placed(delivered, 4)]) {
      await broker.publish(event);
      await handled(event.id);
    }
    expect(await levels()).toEqual({ stock: 10, reserved: 6 });

    const rejected = buildEvent(OrderRejected, declined, { ...ref(declined), reason: 'DECLINED_BY_STORE', stockReserved: true, message: null });
    const done = buildEvent(OrderDelivered, delivered, {
      ...ref(delivered),
      courierId: randomUUID(),
      lines: [{ pickId, quantity: 4, unitPriceMinor: 130, currency: 'EUR' }],
      totalMinor: 520,
      currency: 'EUR',
      placedAt: new Date().toISOString(),
      deliveredAt: new Date().toISOString(),
    });
    await broker.publish(rejected);
    await broker.publish(done);
    await handled(rejected.id);
    await handled(done.id);

    expect(await levels()).toEqual({ stock: 6, reserved: 0 });
    expect(await answers(declined)).toEqual(['picks.stock.reserved', 'picks.stock.released']);
    expect(await answers(delivered)).toEqual(['picks.stock.reserved', 'picks.stock.committed']);
  });

  it('reserves nothing for an order cancelled before picks saw it placed', async () => {
    const orderId = randomUUID();
    const cancelled = buildEvent(OrderCancelled, orderId, { ...ref(orderId), cancelledBy: randomUUID(), reason: null, stockReserved: false, previousStatus: 'PENDING' });
    await broker.publish(cancelled);
    await handled(cancelled.id);
    const late = placed(orderId, 1);
    await broker.publish(late);
    await handled(late.id);

    expect(await levels()).toMatchObject({ reserved: 0 });
    expect(await answers(orderId)).toEqual([]);
  });

  it('parks a delivery of an order picks never reserved in the dead-letter queue, with the reason', async () => {
    const orderId = randomUUID();
    const delivered = buildEvent(OrderDelivered, orderId, {
      ...ref(orderId),
      courierId: randomUUID(),
      lines: [{ pickId, quantity: 1, unitPriceMinor: 130, currency: 'EUR' }],
      totalMinor: 130,
      currency: 'EUR',
      placedAt: new Date().toISOString(),
      deliveredAt: new Date().toISOString(),
    });
    await broker.publish(delivered);

    const letter = await eventually(async () => {
      const found = (await listDeadLetters(broker, `${exchange}.picks`)).find((dead) => dead.eventId === delivered.id);
      expect(found).toBeDefined();
      return found!;
    });
    expect(letter.reason).toContain('holds no reservation');
  });
});
