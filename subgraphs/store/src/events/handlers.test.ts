import { randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  buildEvent,
  CategoryCreated,
  CategoryDeleted,
  CategoryUpdated,
  connectBroker,
  createLogger,
  mariadbAdapter,
  OutboxRelay,
  prismaRelayDatabase,
  startConsumer,
  StoreCreated,
  StoreStatusChanged,
  StoreUpdated,
  type Broker,
  type Consumer,
  type EventEnvelope,
} from '@x/kit';
import { createTestDatabase } from '@x/kit/testing';
import { removeTestTopology } from '../../../../test/support/broker';
import type { CreateStoreInput } from '../domain/store';
import { PrismaClient } from '../store/generated/client';
import { Stores } from '../store/stores';
import { storeSubscriptions } from './handlers';

const log = createLogger('store-test', 'silent');
const exchange = `x.events.test-store-${randomUUID().slice(0, 8)}`;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: PrismaClient;
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
  db = new PrismaClient({ adapter: mariadbAdapter(database.url, 5) });
  broker = await connectBroker({ url: 'amqp://guest:guest@127.0.0.1:5672', exchange, name: 'store-test', log });
  relay = new OutboxRelay({ db: prismaRelayDatabase(db), broker, log, pollIntervalMs: 50 });
  stores = new Stores(db, relay);
  consumer = await startConsumer({ broker, queue: 'store', subscriptions: storeSubscriptions(stores), transaction: (work) => db.$transaction(work), log, relay });
  // A stand-in for store-categories and picks, to see what the store service publishes.
  listener = await startConsumer({
    broker,
    queue: 'listener',
    transaction: (work) => db.$transaction(work),
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
  await db.$disconnect();
  await database.drop();
});

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
  await eventually(() => db.knownCategory.count({ where: { id: categoryId } }), (count) => count === 1);
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
    await eventually(() => db.inboxEvent.count({ where: { eventId: created.id } }), (count) => count === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await db.knownCategory.findMany({ where: { id: categoryId }, select: { slug: true, name: true, deletedAt: true } })).toEqual([{ slug: 'tea', name: 'Tea', deletedAt: null }]);
    expect(await db.inboxEvent.count({ where: { eventId: created.id } })).toBe(1);
  });

  it('rejects a store under a deleted category, and a late update does not bring the category back', async () => {
    const categoryId = await announceCategory();
    const renamedEarlier = buildEvent(CategoryUpdated, categoryId, { categoryId, slug: 'renamed', name: 'Renamed', parentId: null });
    await broker.publish(buildEvent(CategoryDeleted, categoryId, { categoryId }));
    await eventually(() => db.knownCategory.findUnique({ where: { id: categoryId } }), (row) => row?.deletedAt !== null);
    await broker.publish(renamedEarlier);
    await eventually(() => db.inboxEvent.count({ where: { eventId: renamedEarlier.id } }), (count) => count === 1);
    expect((await db.knownCategory.findUniqueOrThrow({ where: { id: categoryId } })).deletedAt).not.toBeNull();
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
    expect(await db.storeCategory.findMany({ where: { storeId: store.id }, select: { categoryId: true } })).toEqual([{ categoryId: kept }]);
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
    expect(await db.outboxEvent.count({ where: { sentAt: null } })).toBe(0);
  });

  it('writes no event, no history row and no change for an illegal transition, and none for an edit that changes nothing', async () => {
    const store = await stores.create(ownerId, input([await announceCategory()]));
    const outboxBefore = await db.outboxEvent.count();
    await expect(stores.transition(store.id, 'reopen', { userId: ownerId, isHqAdmin: false }, null)).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'ILLEGAL_TRANSITION', transition: 'reopen', status: 'PENDING_APPROVAL', allowedFrom: ['CLOSED'] },
    });
    await stores.update(store.id, { userId: ownerId }, { name: store.name, city: store.city });
    expect(await db.outboxEvent.count()).toBe(outboxBefore);
    expect(await db.storeStatusChange.count({ where: { storeId: store.id } })).toBe(1);
    expect((await db.store.findUniqueOrThrow({ where: { id: store.id } })).revision).toBe(1);
  });

  it('lets exactly one of two concurrent approvals through', async () => {
    const store = await stores.create(ownerId, input([await announceCategory()]));
    const outcomes = await Promise.allSettled([stores.transition(store.id, 'approve', admin, null), stores.transition(store.id, 'approve', admin, null)]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(outcomes.find((outcome) => outcome.status === 'rejected')).toMatchObject({ reason: { code: 'CONFLICT' } });
    expect(await db.storeStatusChange.count({ where: { storeId: store.id, transition: 'approve' } })).toBe(1);
  });
});
