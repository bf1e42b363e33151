import { randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  buildEvent,
  CategoryCreated,
  CategoryDeleted,
  connectBroker,
  connectSql,
  createLogger,
  DomainError,
  OutboxRelay,
  relayDatabase,
  startConsumer,
  StoreCreated,
  StoreStatusChanged,
  StoreUpdated,
  type Broker,
  type Consumer,
  type EventData,
  type SqlDatabase,
} from '@x/kit';
import { createTestDatabase } from '@x/kit/testing';
import { removeTestTopology } from '../../../../test/support/broker';
import { CategoryStore } from '../store/categories';
import type { Database, Transaction } from '../store/database';
import type { DB } from '../store/generated/tables';
import { categorySubscriptions } from './handlers';

const log = createLogger('store-categories-test', 'silent');
const exchange = `x.events.test-store-categories-${randomUUID().slice(0, 8)}`;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let sql: SqlDatabase<DB>;
let db: Database;
let broker: Broker;
let consumer: Consumer;
let listener: Consumer;
let relay: OutboxRelay;
let categories: CategoryStore;
const published: { type: string; subject: string }[] = [];

beforeAll(async () => {
  database = await createTestDatabase('store_categories_events', path.resolve(__dirname, '../../../../prisma/store-categories/migrations'));
  sql = connectSql<DB>(database.url, { connectionLimit: 5 });
  db = sql.db;
  broker = await connectBroker({ url: 'amqp://guest:guest@127.0.0.1:5672', exchange, name: 'store-categories-test', log });
  relay = new OutboxRelay({ db: relayDatabase(db), broker, log, pollIntervalMs: 50 });
  categories = new CategoryStore(db, relay);
  consumer = await startConsumer({ broker, queue: 'store-categories', subscriptions: categorySubscriptions(categories), transaction, log, relay });
  // A stand-in for the store service, to see what store-categories publishes.
  listener = await startConsumer({
    broker,
    queue: 'listener',
    transaction,
    log,
    subscriptions: [CategoryCreated, CategoryDeleted].map((definition) => ({
      definition,
      handle: async (event) => {
        published.push({ type: event.type, subject: event.subject });
      },
    })),
  });
  relay.start();
});

afterAll(async () => {
  await consumer.stop();
  await listener.stop();
  await relay.stop();
  await broker.close();
  await removeTestTopology(exchange, ['store-categories', 'listener']);
  await sql.close();
  await database.drop();
});

const transaction = <R>(work: (tx: Transaction) => Promise<R>) => db.transaction().execute(work);
const inboxRows = async (eventId: string) =>
  Number((await db.selectFrom('inbox').select((eb) => eb.fn.countAll().as('n')).where('eventId', '=', eventId).executeTakeFirstOrThrow()).n);
const outboxRows = async () => Number((await db.selectFrom('outbox').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await probe();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const counts = async (categoryId: string) => (await categories.storeCounts([categoryId])).get(categoryId);

function snapshot(overrides: Partial<EventData<typeof StoreCreated>> & { categoryIds: string[] }): EventData<typeof StoreCreated> {
  return {
    storeId: randomUUID(),
    ownerId: randomUUID(),
    name: 'Corner Shop',
    status: 'PENDING_APPROVAL',
    city: 'Lyon',
    location: { lat: 45.76, lng: 4.84 },
    revision: 1,
    ...overrides,
  };
}

describe('store-categories keeps per-category store counts from store events', () => {
  it('counts a created store once, however often StoreCreated is delivered', async () => {
    const category = await categories.create({ name: `Bakery ${randomUUID()}` });
    const created = buildEvent(StoreCreated, randomUUID(), snapshot({ categoryIds: [category.id] }));
    await broker.publish(created);
    await broker.publish(created);
    await eventually(() => inboxRows(created.id), (count) => count === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await counts(category.id)).toEqual({ storeCount: 0, openStoreCount: 0, linkedStoreCount: 1 });
    expect(await inboxRows(created.id)).toBe(1);
  });

  it('follows status changes and category changes of a store, and ignores an older snapshot that arrives late', async () => {
    const fruit = await categories.create({ name: `Fruit ${randomUUID()}` });
    const veg = await categories.create({ name: `Vegetables ${randomUUID()}` });
    const base = snapshot({ categoryIds: [fruit.id] });
    await broker.publish(buildEvent(StoreCreated, base.storeId, base));
    const approved = { ...base, status: 'OPEN' as const, revision: 2 };
    await broker.publish(buildEvent(StoreStatusChanged, base.storeId, { ...approved, previousStatus: 'PENDING_APPROVAL', changedBy: randomUUID(), reason: null }));
    expect(await eventually(() => counts(fruit.id), (c) => c?.openStoreCount === 1)).toEqual({ storeCount: 1, openStoreCount: 1, linkedStoreCount: 1 });

    const moved = { ...approved, categoryIds: [veg.id], revision: 3 };
    await broker.publish(buildEvent(StoreUpdated, base.storeId, { ...moved, changed: ['categoryIds'], previousCategoryIds: [fruit.id] }));
    await eventually(() => counts(veg.id), (c) => c?.storeCount === 1);
    expect(await counts(fruit.id)).toEqual({ storeCount: 0, openStoreCount: 0, linkedStoreCount: 0 });

    // Revision 2 again (a retry that lost the race): it must not put the store back under fruit.
    const late = buildEvent(StoreStatusChanged, base.storeId, { ...approved, previousStatus: 'PENDING_APPROVAL', changedBy: randomUUID(), reason: null });
    await broker.publish(late);
    await eventually(() => inboxRows(late.id), (count) => count === 1);
    expect(await counts(fruit.id)).toEqual({ storeCount: 0, openStoreCount: 0, linkedStoreCount: 0 });
    expect(await counts(veg.id)).toEqual({ storeCount: 1, openStoreCount: 1, linkedStoreCount: 1 });
  });

  it('refuses to delete a category a store is linked to, and deletes it once the store has left it', async () => {
    const category = await categories.create({ name: `Cheese ${randomUUID()}` });
    const store = snapshot({ categoryIds: [category.id], status: 'SUSPENDED' });
    await broker.publish(buildEvent(StoreCreated, store.storeId, store));
    await eventually(() => counts(category.id), (c) => c?.linkedStoreCount === 1);

    await expect(categories.delete(category.id)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/1 store is filed/) });

    await broker.publish(buildEvent(StoreUpdated, store.storeId, { ...store, categoryIds: [], revision: 2, changed: ['categoryIds'], previousCategoryIds: [category.id] }));
    await eventually(() => counts(category.id), (c) => c?.linkedStoreCount === 0);
    await categories.delete(category.id);
    expect(await categories.findByIds([category.id])).toEqual([]);
    await eventually(
      async () => published.filter((event) => event.subject === category.id).map((event) => event.type),
      (types) => types.length === 2,
    );
    expect(published.filter((event) => event.subject === category.id).map((event) => event.type)).toEqual([CategoryCreated.type, CategoryDeleted.type]);
  });

  it('writes no event when a change is refused', async () => {
    const parent = await categories.create({ name: `Drinks ${randomUUID()}` });
    await categories.create({ name: `Juice ${randomUUID()}`, parentId: parent.id });
    const before = await outboxRows();
    const refused = await categories.delete(parent.id).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DomainError);
    expect((refused as DomainError).message).toMatch(/1 subcategory/);
    expect(await outboxRows()).toBe(before);
  });
});
