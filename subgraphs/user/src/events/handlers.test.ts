import { randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  AuthUserDeleted,
  AuthUserRegistered,
  buildEvent,
  connectBroker,
  connectSql,
  createLogger,
  OutboxRelay,
  relayDatabase,
  startConsumer,
  type Broker,
  type Consumer,
  type SqlDatabase,
} from '@x/kit';
import { createTestDatabase } from '@x/kit/testing';
import { removeTestTopology } from '../../../../test/support/broker';
import type { Database, Transaction } from '../store/database';
import type { DB } from '../store/generated/tables';
import { ProfileStore } from '../store/profiles';
import { profileSubscriptions } from './handlers';

const log = createLogger('user-test', 'silent');
const exchange = `x.events.test-user-${randomUUID().slice(0, 8)}`;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let sql: SqlDatabase<DB>;
let db: Database;
let broker: Broker;
let consumer: Consumer;
let relay: OutboxRelay;
let profiles: ProfileStore;

beforeAll(async () => {
  database = await createTestDatabase('user_events', path.resolve(__dirname, '../../../../prisma/user/migrations'));
  sql = connectSql<DB>(database.url, { connectionLimit: 5 });
  db = sql.db;
  broker = await connectBroker({ url: 'amqp://guest:guest@127.0.0.1:5672', exchange, name: 'user-test', log });
  relay = new OutboxRelay({ db: relayDatabase(db), broker, log, pollIntervalMs: 50 });
  profiles = new ProfileStore(db, relay);
  consumer = await startConsumer({ broker, queue: 'user', subscriptions: profileSubscriptions(profiles), transaction, log });
});

afterAll(async () => {
  await consumer.stop();
  await relay.stop();
  await broker.close();
  await removeTestTopology(exchange, ['user']);
  await sql.close();
  await database.drop();
});

const transaction = <R>(work: (tx: Transaction) => Promise<R>) => db.transaction().execute(work);
const inboxRows = async (eventId: string) =>
  Number((await db.selectFrom('inbox').select((eb) => eb.fn.countAll().as('n')).where('eventId', '=', eventId).executeTakeFirstOrThrow()).n);
const profileRows = async (id: string) =>
  Number((await db.selectFrom('profiles').select((eb) => eb.fn.countAll().as('n')).where('id', '=', id).executeTakeFirstOrThrow()).n);

async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await probe();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('user consumes auth events', () => {
  it('creates one profile for a registration, however often the event is delivered', async () => {
    const userId = randomUUID();
    const registered = buildEvent(AuthUserRegistered, userId, { userId, email: 'ada@example.com', roles: ['customer'], displayName: 'Ada' });
    await broker.publish(registered);
    await broker.publish(registered);
    const profile = await eventually(() => profiles.findById(userId), (found) => found !== null);
    expect(profile?.displayName).toBe('Ada');
    await eventually(() => inboxRows(registered.id), (count) => count === 1);
    // A second delivery has had time to arrive; still one profile and one inbox row.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await profileRows(userId)).toBe(1);
    expect(await inboxRows(registered.id)).toBe(1);
  });

  it('erases the profile when the account is deleted', async () => {
    const userId = randomUUID();
    await broker.publish(buildEvent(AuthUserRegistered, userId, { userId, email: 'grace@example.com', roles: ['courier'], displayName: 'Grace' }));
    await eventually(() => profiles.findById(userId), (found) => found !== null);
    await broker.publish(buildEvent(AuthUserDeleted, userId, { userId, deletedBy: userId }));
    expect(await eventually(() => profiles.findById(userId), (found) => found === null)).toBeNull();
  });

  it('publishes user.profile.updated with the change, through the outbox', async () => {
    const userId = randomUUID();
    await broker.publish(buildEvent(AuthUserRegistered, userId, { userId, email: 'alan@example.com', roles: ['customer'], displayName: 'Alan' }));
    await eventually(() => profiles.findById(userId), (found) => found !== null);
    relay.start();
    const updated = await profiles.update(userId, { displayName: 'Alan Turing', bio: 'computing' });
    expect(updated).toMatchObject({ displayName: 'Alan Turing', bio: 'computing' });
    const row = await db.selectFrom('outbox').select(['id', 'payload']).where('type', '=', 'user.profile.updated').executeTakeFirstOrThrow();
    expect(JSON.parse(row.payload)).toMatchObject({ subject: userId, data: { userId, changed: ['bio', 'displayName'] } });
    const sent = () => db.selectFrom('outbox').select('sentAt').where('id', '=', row.id).executeTakeFirstOrThrow();
    expect((await eventually(sent, (r) => r.sentAt !== null)).sentAt).not.toBeNull();
  });

  it('stamps a new profile created and updated at once, and moves only updatedAt on a change', async () => {
    const userId = randomUUID();
    await broker.publish(buildEvent(AuthUserRegistered, userId, { userId, email: 'edsger@example.com', roles: ['customer'], displayName: 'Edsger' }));
    const created = await eventually(() => profiles.findById(userId), (found) => found !== null);
    expect(created?.updatedAt).toEqual(created?.createdAt);
    // At least a millisecond later, so a fresh stamp differs from the first at the column's precision.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const updated = await profiles.update(userId, { bio: 'shortest paths' });
    expect(updated?.createdAt).toEqual(created?.createdAt);
    expect(updated!.updatedAt.getTime()).toBeGreaterThan(created!.updatedAt.getTime());
  });

  it('does not update a profile that does not exist', async () => {
    expect(await profiles.update(randomUUID(), { displayName: 'Nobody' })).toBeNull();
  });
});
