import { randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  buildEvent,
  CategoryCreated,
  CategoryDeleted,
  CategoryUpdated,
  connectBroker,
  connectSql,
  createLogger,
  OutboxRelay,
  relayDatabase,
  startConsumer,
  StoreCreated,
  StoreStatusChanged,
  StoreUpdated,
  type Broker,
  type Consumer,
  type EventEnvelope,
  type SqlDatabase,
} from '@x/kit';
import { createTestDatabase } from '@x/kit/testing';
import { sql as rawSql } from 'kysely';
import { removeTestTopology } from '../../../../test/support/broker';
import type { CreateStoreInput } from '../domain/store';
import type { Database, Transaction } from '../store/database';
import type { DB } from '../store/generated/tables';
import { Stores } from '../store/stores';
import { storeSubscriptions } from './handlers';

const log = createLogger('store-test', 'silent');
const exchange = `x.events.test-store-${randomUUID().slice(0, 8)}`;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let sql: SqlDatabase<DB>;
let db: Database;
let broker: Broker;
let consumer: Consumer;
let listener: Consumer;
let relay: OutboxRelay;
let stores: Stores;
const published: EventEnvelope[] = [];
const ownerId = randomUUID();
const admin = { userId: randomUUID(), isHqAdmin: true };

beforeAll(async () => {
  database = await createTestDatabase('store_events', path.resolve(__dirname, '../../../../prisma/store/migrations'));
  sql = connectSql<DB>(database.url, { connectionLimit: 5 });
  db = sql.db;
  broker = await connectBroker({ url: 'amqp://guest:guest@127.0.0.1:5672', exchange, name: 'store-test', log });
  relay = new OutboxRelay({ db: relayDatabase(db), broker, log, pollIntervalMs: 50 });
  stores = new Stores(db, relay);
  consumer = await startConsumer({ broker, queue: 'store', subscriptions: storeSubscriptions(stores), transaction, log, relay });
  // A stand-in for store-categories and picks, to see what the store service publishes.
  listener = await startConsumer({
    broker,
    queue: 'listener',
    transaction,
    log,
    subscriptions: [StoreCreated, StoreUpdated, StoreStatusChanged].map((definition) => ({
      definition,
      handle: async (event) => {
        published.push(event);
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
  await removeTestTopology(exchange, ['store', 'listener']);
  await sql.close();
  await database.drop();
});

const transaction = <R>(work: (tx: Transaction) => Promise<R>) => db.transaction().execute(work);
const count = (rows: Promise<{ n: string | number | bigint }>) => rows.then((row) => Number(row.n));
const inboxRows = (eventId: string) =>
  count(db.selectFrom('inbox').select((eb) => eb.fn.countAll().as('n')).where('eventId', '=', eventId).executeTakeFirstOrThrow());
const knownCategory = (id: string) => db.selectFrom('categories').select(['slug', 'name', 'deletedAt']).where('id', '=', id).executeTakeFirst();
function outboxRows(unsentOnly = false): Promise<number> {
  let query = db.selectFrom('outbox').select((eb) => eb.fn.countAll().as('n'));
  if (unsentOnly) query = query.where('sentAt', 'is', null);
  return count(query.executeTakeFirstOrThrow());
}
function historyRows(storeId: string, transition?: string): Promise<number> {
  let query = db.selectFrom('storeStatusChanges').select((eb) => eb.fn.countAll().as('n')).where('storeId', '=', storeId);
  if (transition) query = query.where('transition', '=', transition);
  return count(query.executeTakeFirstOrThrow());
}
/** Statements of this file's database now running that lock a store row (they wait while another transaction holds it). */
async function storeLocksInProgress(): Promise<number> {
  const { rows } = await rawSql<{ n: number }>`
    SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST
    WHERE DB = ${database.name} AND COMMAND = 'Query' AND INFO LIKE 'select % from \`stores\` where % for update'`.execute(db);
  return Number(rows[0]?.n);
}
const storedStore = (id: string) => db.selectFrom('stores').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

async function eventually<T>(probe: () => Promise<T> | T, accept: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await probe();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const eventsAbout = (storeId: string) => published.filter((event) => event.subject === storeId);

async function announceCategory(): Promise<string> {
  const categoryId = randomUUID();
  await broker.publish(buildEvent(CategoryCreated, categoryId, { categoryId, slug: `c-${categoryId.slice(0, 8)}`, name: 'Category', parentId: null }));
  await eventually(() => knownCategory(categoryId), (row) => row !== undefined);
  return categoryId;
}

function input(categoryIds: string[]): CreateStoreInput {
  return {
    name: `Store ${randomUUID().slice(0, 8)}`,
    description: null,
    city: 'Nantes',
    location: { lat: 47.21, lng: -1.55 },
    categoryIds,
    timeZone: 'Europe/Paris',
    openingHours: [{ weekday: 'MONDAY', intervals: [{ opens: '08:00', closes: '20:00' }] }],
  };
}

describe('store keeps its projection of the category tree', () => {
  it('records a category once, however often CategoryCreated is delivered', async () => {
    const categoryId = randomUUID();
    const created = buildEvent(CategoryCreated, categoryId, { categoryId, slug: 'tea', name: 'Tea', parentId: null });
    await broker.publish(created);
    await broker.publish(created);
    await eventually(() => inboxRows(created.id), (count) => count === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await db.selectFrom('categories').select(['slug', 'name', 'deletedAt']).where('id', '=', categoryId).execute()).toEqual([{ slug: 'tea', name: 'Tea', deletedAt: null }]);
    expect(await inboxRows(created.id)).toBe(1);
  });

  it('rejects a store under a deleted category, and a late update does not bring the category back', async () => {
    const categoryId = await announceCategory();
    const renamedEarlier = buildEvent(CategoryUpdated, categoryId, { categoryId, slug: 'renamed', name: 'Renamed', parentId: null });
    await broker.publish(buildEvent(CategoryDeleted, categoryId, { categoryId }));
    await eventually(() => knownCategory(categoryId), (row) => row?.deletedAt !== null);
    await broker.publish(renamedEarlier);
    await eventually(() => inboxRows(renamedEarlier.id), (count) => count === 1);
    expect((await knownCategory(categoryId))?.deletedAt).not.toBeNull();
    await expect(stores.create(ownerId, input([categoryId]))).rejects.toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringContaining(categoryId) });
  });

  it('unlinks a store from a category deleted under it, publishing the store’s new categories', async () => {
    const kept = await announceCategory();
    const deleted = await announceCategory();
    const store = await stores.create(ownerId, input([kept, deleted]));
    await broker.publish(buildEvent(CategoryDeleted, deleted, { categoryId: deleted }));
    const update = await eventually(
      () => eventsAbout(store.id).find((event) => event.type === StoreUpdated.type),
      (found) => found !== undefined,
    );
    expect(update?.data).toMatchObject({ categoryIds: [kept], previousCategoryIds: [kept, deleted].sort(), changed: ['categoryIds'], revision: 2 });
    expect(await db.selectFrom('storeCategories').select('categoryId').where('storeId', '=', store.id).execute()).toEqual([{ categoryId: kept }]);
  });

  it('announces nothing for a store whose edit unlinked the deleted category while the deletion waited for its lock', async () => {
    const kept = await announceCategory();
    const deleted = await announceCategory();
    const store = await stores.create(ownerId, input([kept, deleted]));
    let releaseEdit!: () => void;
    let editHoldsLock!: () => void;
    const editLocked = new Promise<void>((resolve) => (editHoldsLock = resolve));
    // An owner's edit that holds the store's row lock and has unlinked the category, not yet committed.
    const edit = db.transaction().execute(async (tx) => {
      await tx.selectFrom('stores').select('id').where('id', '=', store.id).forUpdate().execute();
      await tx.deleteFrom('storeCategories').where('storeId', '=', store.id).where('categoryId', '=', deleted).execute();
      editHoldsLock();
      await new Promise<void>((resolve) => (releaseEdit = resolve));
    });
    await editLocked;
    const deletion = transaction((tx) => stores.forgetCategory(tx, deleted, new Date()));
    // The deletion still saw the committed link and now waits for the store's row lock.
    expect(await eventually(storeLocksInProgress, (waiting) => waiting === 1)).toBe(1);
    releaseEdit();
    await edit;
    await deletion;

    expect((await storedStore(store.id)).revision).toBe(1);
    const outboxTypes = (await db.selectFrom('outbox').select('payload').execute())
      .map((row) => JSON.parse(row.payload) as EventEnvelope)
      .filter((event) => event.subject === store.id)
      .map((event) => event.type);
    expect(outboxTypes).toEqual([StoreCreated.type]);
  });
});

describe('store publishes its changes through the outbox', () => {
  it('publishes StoreCreated, StoreUpdated and StoreStatusChanged with rising revisions', async () => {
    const categoryId = await announceCategory();
    const store = await stores.create(ownerId, input([categoryId]));
    await stores.update(store.id, { userId: ownerId }, { name: 'Renamed store', city: 'Nantes' });
    await stores.transition(store.id, 'approve', admin, null);
    const events = await eventually(() => eventsAbout(store.id), (found) => found.length === 3);
    expect(events.map((event) => [event.type, (event.data as { revision: number }).revision])).toEqual([
      [StoreCreated.type, 1],
      [StoreUpdated.type, 2],
      [StoreStatusChanged.type, 3],
    ]);
    expect(events[1]?.data).toMatchObject({ changed: ['name'], previousCategoryIds: [categoryId], name: 'Renamed store' });
    expect(events[2]?.data).toMatchObject({ status: 'OPEN', previousStatus: 'PENDING_APPROVAL', changedBy: admin.userId, reason: null });
    expect(await outboxRows(true)).toBe(0);
  });

  it('writes no event, no history row and no change for an illegal transition, and none for an edit that changes nothing', async () => {
    const store = await stores.create(ownerId, input([await announceCategory()]));
    const outboxBefore = await outboxRows();
    await expect(stores.transition(store.id, 'reopen', { userId: ownerId, isHqAdmin: false }, null)).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'ILLEGAL_TRANSITION', transition: 'reopen', status: 'PENDING_APPROVAL', allowedFrom: ['CLOSED'] },
    });
    await stores.update(store.id, { userId: ownerId }, { name: store.name, city: store.city });
    expect(await outboxRows()).toBe(outboxBefore);
    expect(await historyRows(store.id)).toBe(1);
    expect((await db.selectFrom('stores').select('revision').where('id', '=', store.id).executeTakeFirstOrThrow()).revision).toBe(1);
  });

  it('answers each change with the row as stored: updatedAt moves on every change, a history row goes with a transition', async () => {
    const store = await stores.create(ownerId, input([await announceCategory()]));
    expect(store).toEqual(await storedStore(store.id));
    expect(store.updatedAt).toEqual(store.createdAt);
    // At least a millisecond between changes, so each fresh stamp differs at the column's precision.
    const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

    await tick();
    const updated = await stores.update(store.id, { userId: ownerId }, { description: 'Galettes', location: { lat: 47.22, lng: -1.56 } });
    expect(updated).toEqual(await storedStore(store.id));
    expect(updated).toMatchObject({ description: 'Galettes', lat: 47.22, lng: -1.56, revision: 2, createdAt: store.createdAt });
    expect(updated.updatedAt.getTime()).toBeGreaterThan(store.updatedAt.getTime());

    await tick();
    const approved = await stores.transition(store.id, 'approve', admin, null);
    expect(approved).toEqual(await storedStore(store.id));
    expect(approved).toMatchObject({ status: 'OPEN', revision: 3, createdAt: store.createdAt });
    expect(approved.updatedAt.getTime()).toBeGreaterThan(updated.updatedAt.getTime());
    expect(await stores.historyOf([store.id])).toMatchObject([
      { transition: 'create', fromStatus: null, toStatus: 'PENDING_APPROVAL', actorId: ownerId, reason: null, createdAt: store.createdAt },
      { transition: 'approve', fromStatus: 'PENDING_APPROVAL', toStatus: 'OPEN', actorId: admin.userId, reason: null, createdAt: approved.updatedAt },
    ]);
  });

  it('lets exactly one of two concurrent approvals through', async () => {
    const store = await stores.create(ownerId, input([await announceCategory()]));
    const outcomes = await Promise.allSettled([stores.transition(store.id, 'approve', admin, null), stores.transition(store.id, 'approve', admin, null)]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(outcomes.find((outcome) => outcome.status === 'rejected')).toMatchObject({ reason: { code: 'CONFLICT' } });
    expect(await historyRows(store.id, 'approve')).toBe(1);
  });
});
