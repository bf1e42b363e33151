import { randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  AuthUserDeleted,
  AuthUserRegistered,
  buildEvent,
  connectBroker,
  createLogger,
  mariadbAdapter,
  OutboxRelay,
  prismaRelayDatabase,
  startConsumer,
  type Broker,
  type Consumer,
} from '@x/kit';
import { createTestDatabase } from '@x/kit/testing';
import { removeTestTopology } from '../../../../test/support/broker';
import { PrismaClient } from '../store/generated/client';
import { ProfileStore } from '../store/profiles';
import { profileSubscriptions } from './handlers';

const log = createLogger('user-test', 'silent');
const exchange = `x.events.test-user-${randomUUID().slice(0, 8)}`;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: PrismaClient;
let broker: Broker;
let consumer: Consumer;
let relay: OutboxRelay;
let profiles: ProfileStore;

beforeAll(async () => {
  database = await createTestDatabase('user_events', path.resolve(__dirname, '../../../../prisma/user/migrations'));
  db = new PrismaClient({ adapter: mariadbAdapter(database.url, 5) });
  broker = await connectBroker({ url: 'amqp://guest:guest@127.0.0.1:5672', exchange, name: 'user-test', log });
  relay = new OutboxRelay({ db: prismaRelayDatabase(db), broker, log, pollIntervalMs: 50 });
  profiles = new ProfileStore(db, relay);
  consumer = await startConsumer({ broker, queue: 'user', subscriptions: profileSubscriptions(profiles), transaction: (work) => db.$transaction(work), log });
});

afterAll(async () => {
  await consumer.stop();
  await relay.stop();
  await broker.close();
  await removeTestTopology(exchange, ['user']);
  await db.$disconnect();
  await database.drop();
});

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
    await eventually(() => db.inboxEvent.count({ where: { eventId: registered.id } }), (count) => count === 1);
    // A second delivery has had time to arrive; still one profile and one inbox row.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await db.profile.count({ where: { id: userId } })).toBe(1);
    expect(await db.inboxEvent.count({ where: { eventId: registered.id } })).toBe(1);
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
    const row = await db.outboxEvent.findFirstOrThrow({ where: { type: 'user.profile.updated' } });
    expect(JSON.parse(row.payload)).toMatchObject({ subject: userId, data: { userId, changed: ['bio', 'displayName'] } });
    expect((await eventually(() => db.outboxEvent.findUniqueOrThrow({ where: { id: row.id } }), (r) => r.sentAt !== null)).sentAt).not.toBeNull();
  });

  it('does not update a profile that does not exist', async () => {
    expect(await profiles.update(randomUUID(), { displayName: 'Nobody' })).toBeNull();
  });
});
