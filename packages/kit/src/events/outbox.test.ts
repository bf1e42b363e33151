import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { ConsumeMessage } from 'amqplib';
import type { DB } from '../../test/generated/tables';
import { AmqpProbe, BrokerOutageProxy, amqpUrl, eventually, migrationsDir, testLog, uniqueExchange } from '../../test/support';
import { connectSql, type SqlDatabase } from '../db/sql';
import { createMetrics } from '../metrics';
import { createTestDatabase } from '../testing';
import { connectBroker, type Broker } from './broker';
import { AuthUserRegistered, UserProfileUpdated } from './contracts';
import { buildEvent, type EventEnvelope } from './envelope';
import { OutboxRelay, enqueueEvent, type OutboxRelayOptions } from './outbox';
import { relayDatabase } from './sql';

const exchange = uniqueExchange('outbox');
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let sqlDb: SqlDatabase<DB>;
let broker: Broker;
let probe: AmqpProbe;
let received: ConsumeMessage[];
const relays: OutboxRelay[] = [];

beforeAll(async () => {
  database = await createTestDatabase('kit_outbox', migrationsDir);
  sqlDb = connectSql<DB>(database.url);
  broker = await connectBroker({ url: amqpUrl, exchange, name: 'kit-outbox-test', log: testLog });
  probe = await AmqpProbe.open();
  // Only auth.* is observed, so user.* events stay unrouted for the alternate-exchange test.
  received = await probe.collect(exchange, 'auth.#');
});

afterEach(async () => {
  await Promise.all(relays.splice(0).map((relay) => relay.stop()));
});

afterAll(async () => {
  await probe.deleteTopology(exchange, []);
  await probe.close();
  await broker.close();
  await sqlDb.close();
  await database.drop();
});

function relayWith(options: Partial<OutboxRelayOptions> = {}): OutboxRelay {
  const relay = new OutboxRelay({ db: relayDatabase(sqlDb.db), broker, log: testLog, pollIntervalMs: 50, backoff: { initialMs: 50, maxMs: 200 }, ...options });
  relays.push(relay);
  return relay;
}

/** A state change and its event in one transaction, as a service writes them. */
async function registerUser(): Promise<EventEnvelope> {
  const userId = randomUUID();
  const event = buildEvent(AuthUserRegistered, userId, { userId, email: `${userId}@example.com`, roles: ['customer'], displayName: 'Ada' });
  await sqlDb.db.transaction().execute(async (tx) => {
    await tx.insertInto('ledger').values({ eventId: event.id, userId, note: 'account created' }).execute();
    await enqueueEvent(tx, event);
  });
  return event;
}

const outboxRow = (id: string) => sqlDb.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const unsentRows = async () => Number((await sqlDb.db.selectFrom('outbox').select((eb) => eb.fn.countAll().as('n')).where('sentAt', 'is', null).executeTakeFirstOrThrow()).n);
const copiesOf = (id: string) => received.filter((message) => message.properties.messageId === id).length;

/** Every message the broker confirmed before this call has reached the probe once it returns. */
async function drainProbe(): Promise<void> {
  const before = received.length;
  const sentinel = randomUUID();
  probe.channel.publish(exchange, 'auth.probe.sentinel', Buffer.from('{}'), { messageId: sentinel });
  await eventually(() => expect(received.slice(before).some((message) => message.properties.messageId === sentinel)).toBe(true));
}

describe('transactional outbox', () => {
  it('publishes an event committed while no relay ran exactly once, with its headers, and marks it sent', async () => {
    const event = await registerUser();
    expect((await outboxRow(event.id)).sentAt).toBeNull();

    const metrics = createMetrics('kit-outbox-test');
    relayWith({ metrics }).start();

    await eventually(async () => expect((await outboxRow(event.id)).sentAt).not.toBeNull());
    await drainProbe();
    expect(copiesOf(event.id)).toBe(1);
    const message = received.find((candidate) => candidate.properties.messageId === event.id)!;
    expect(message.fields.routingKey).toBe('auth.user.registered');
    expect(message.properties).toMatchObject({ type: 'auth.user.registered', contentType: 'application/json', deliveryMode: 2, appId: 'auth' });
    expect(message.properties.headers).toMatchObject({ 'x-correlation-id': event.correlationId });
    expect(JSON.parse(message.content.toString())).toEqual(event);
    expect((await metrics.eventsPublished.get()).values).toContainEqual(expect.objectContaining({ labels: { type: 'auth.user.registered' }, value: 1 }));
  });

  it('keeps rows unsent while the broker is unreachable and publishes them once it is back', async () => {
    const proxy = await BrokerOutageProxy.start();
    const flakyBroker = await connectBroker({ url: proxy.url, exchange, name: 'kit-outbox-test-flaky', log: testLog, publishTimeoutMs: 500 });
    const relay = relayWith({ broker: flakyBroker });
    try {
      relay.start();
      await proxy.down();
      await eventually(() => expect(flakyBroker.ready()).rejects.toThrow(/down/));
      const event = await registerUser();
      relay.wake();
      await eventually(async () => {
        const row = await outboxRow(event.id);
        expect(row.attempts).toBeGreaterThanOrEqual(2);
        expect(row.sentAt).toBeNull();
        expect(row.lastError).toMatch(/connection is down/);
      });
      expect(await relay.backlog()).toEqual(expect.objectContaining({ count: 1 }));

      await proxy.up();
      await eventually(async () => expect((await outboxRow(event.id)).sentAt).not.toBeNull());
      await drainProbe();
      expect(copiesOf(event.id)).toBe(1);
      expect(await relay.backlog()).toEqual({ count: 0, oldestAgeSeconds: 0 });
    } finally {
      await relay.stop();
      await flakyBroker.close();
      await proxy.down();
    }
  });

  it("never makes a service's writes wait for a batch whose publish is in flight", async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let publishing: () => void = () => {};
    const inFlight = new Promise<void>((resolve) => (publishing = resolve));
    // The real broker, reached only once the test lets go: the batch keeps its rows locked meanwhile.
    const slowBroker: Broker = {
      ...broker,
      publish: async (event, headers) => {
        publishing();
        await held;
        await broker.publish(event, headers);
      },
    };
    const first = await registerUser();
    relayWith({ broker: slowBroker }).start();
    await inFlight;
    try {
      // Under REPEATABLE READ the batch's locking read also locked the gap after the last row, and this
      // insert waited for the publish; a 1 s lock wait makes that a failure instead of a slow test.
      const userId = randomUUID();
      const event = buildEvent(AuthUserRegistered, userId, { userId, email: `${userId}@example.com`, roles: ['customer'], displayName: 'Grace' });
      await sqlDb.db.transaction().execute(async (tx) => {
        await sql`SET SESSION innodb_lock_wait_timeout = 1`.execute(tx);
        await enqueueEvent(tx, event);
      });
      expect((await outboxRow(event.id)).sentAt).toBeNull();
    } finally {
      release();
    }
    await eventually(async () => expect((await outboxRow(first.id)).sentAt).not.toBeNull());
  });

  it('lets two relays share the outbox without publishing any row twice', async () => {
    const events = [];
    for (let index = 0; index < 30; index += 1) events.push(await registerUser());
    relayWith({ batchSize: 4 }).start();
    relayWith({ batchSize: 4 }).start();

    await eventually(async () => expect(await unsentRows()).toBe(0));
    await drainProbe();
    expect(events.map((event) => copiesOf(event.id))).toEqual(events.map(() => 1));
  });

  it('keeps an event that no queue is bound to in the unrouted queue', async () => {
    const userId = randomUUID();
    const event = buildEvent(UserProfileUpdated, userId, { userId, changed: ['bio'] });
    await sqlDb.db.transaction().execute((tx) => enqueueEvent(tx, event));
    relayWith().start();

    await eventually(async () => expect(await probe.messageCount(`${exchange}.unrouted`)).toBe(1));
    const parked = await probe.channel.get(`${exchange}.unrouted`, { noAck: true });
    expect(parked && parked.properties.messageId).toBe(event.id);
  });

  it('stores what the generated tables describe (the SQL and schema.prisma agree)', async () => {
    const id = randomUUID();
    const sentAt = new Date('2026-01-02T03:04:05.678Z');
    await sqlDb.db.insertInto('outbox').values({ id, type: 'auth.user.registered', payload: '{}', sentAt, attempts: 3, lastError: 'boom' }).execute();
    await sqlDb.db.insertInto('inbox').values({ consumer: 'kit', eventId: id, eventType: 'auth.user.registered' }).execute();

    expect(await outboxRow(id)).toEqual(
      expect.objectContaining({ id, type: 'auth.user.registered', payload: '{}', sentAt, attempts: 3, lastError: 'boom', createdAt: expect.any(Date) }),
    );
    expect(await sqlDb.db.selectFrom('inbox').selectAll().where('consumer', '=', 'kit').where('eventId', '=', id).executeTakeFirstOrThrow()).toEqual(
      expect.objectContaining({ eventType: 'auth.user.registered', processedAt: expect.any(Date) }),
    );
    await sqlDb.db.deleteFrom('outbox').where('id', '=', id).execute();
  });
});
