import { randomUUID } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import type { ClientSession, Connection } from 'mongoose';
import { createTestMongo, describeWithMongo } from '../../../../test/support/mongo';
import { AmqpProbe, amqpUrl, eventually, testLog, uniqueExchange } from '../../test/support';
import { mongoTransaction } from '../db/mongo';
import { connectBroker, type Broker } from './broker';
import { consumerQueueName, deadLetterQueueName, on, startConsumer } from './consumer';
import { AuthUserRegistered } from './contracts';
import { buildEvent, type EventEnvelope } from './envelope';
import { ensureMongoInbox, inboxModel, mongoInbox } from './mongo-inbox';
import { MongoOutbox, outboxModel } from './mongo-outbox';
import { OutboxRelay } from './outbox';

/** The MongoDB inbox and outbox against a real replica set and RabbitMQ: the guarantees of the SQL ones. */
describeWithMongo('MongoDB inbox and outbox', () => {
  const exchange = uniqueExchange('mongo');
  let database: Awaited<ReturnType<typeof createTestMongo>>;
  let connection: Connection;
  let broker: Broker;
  let probe: AmqpProbe;
  let received: ConsumeMessage[];
  let outbox: MongoOutbox;
  const queue = consumerQueueName(exchange, 'mongo');

  // Stands in for a service's own collection: the effect written with the inbox record or the event.
  const ledger = () => connection.collection<{ _id: string; eventId: string }>('ledger');

  beforeAll(async () => {
    database = await createTestMongo('kit_events');
    connection = database.connection;
    outbox = new MongoOutbox(connection, { leaseMs: 60_000 });
    await Promise.all([outbox.init(), ensureMongoInbox(connection), connection.createCollection('ledger')]);
    broker = await connectBroker({ url: amqpUrl, exchange, name: 'kit-mongo-test', log: testLog });
    probe = await AmqpProbe.open();
    received = await probe.collect(exchange, 'auth.#');
  });

  afterAll(async () => {
    await probe.deleteTopology(exchange, [queue, deadLetterQueueName(queue), `${queue}.retry.50`]);
    await probe.close();
    await broker.close();
    await database.drop();
  });

  function registration(): EventEnvelope {
    const userId = randomUUID();
    return buildEvent(AuthUserRegistered, userId, { userId, email: `${userId}@example.com`, roles: ['customer'], displayName: 'Ada' });
  }

  const copiesOf = (id: string) => received.filter((message) => message.properties.messageId === id).length;
  const effectsOf = (eventId: string) => ledger().countDocuments({ eventId });

  describe('inbox', () => {
    const inbox = () => mongoInbox(connection);
    const writeEffect = (event: EventEnvelope) => async (session: ClientSession) => {
      await ledger().insertOne({ _id: randomUUID(), eventId: event.id }, { session });
    };

    it('applies an event once: a second delivery is a duplicate and its effect does not run', async () => {
      const event = registration();
      expect(await inbox().handleOnce('svc', event, writeEffect(event))).toBe('processed');
      expect(await inbox().handleOnce('svc', event, writeEffect(event))).toBe('duplicate');
      expect(await effectsOf(event.id)).toBe(1);
      expect(await inboxModel(connection).countDocuments({ consumer: 'svc', eventId: event.id })).toBe(1);
    });

    it('applies two concurrent deliveries of one event once', async () => {
      const event = registration();
      const outcomes = await Promise.all([1, 2, 3].map(() => inbox().handleOnce('svc', event, writeEffect(event))));
      expect(outcomes.sort()).toEqual(['duplicate', 'duplicate', 'processed']);
      expect(await effectsOf(event.id)).toBe(1);
    });

    it('records nothing when the effect fails, so a redelivery applies it', async () => {
      const event = registration();
      await expect(
        inbox().handleOnce('svc', event, async (session) => {
          await writeEffect(event)(session);
          throw new Error('downstream check failed');
        }),
      ).rejects.toThrow('downstream check failed');
      expect(await effectsOf(event.id)).toBe(0);
      expect(await inbox().handleOnce('svc', event, writeEffect(event))).toBe('processed');
      expect(await effectsOf(event.id)).toBe(1);
    });

    it('keeps consumers apart: the same event is processed once by each', async () => {
      const event = registration();
      expect(await inbox().handleOnce('one', event, writeEffect(event))).toBe('processed');
      expect(await inbox().handleOnce('two', event, writeEffect(event))).toBe('processed');
    });

    it('drives the consumer: a redelivered message is applied once', async () => {
      const consumer = await startConsumer({
        broker,
        queue: 'mongo',
        inbox: inbox(),
        log: testLog,
        retryDelaysMs: [50],
        subscriptions: [on(AuthUserRegistered, async (event, session: ClientSession) => writeEffect(event)(session))],
      });
      try {
        const event = registration();
        await broker.publish(event);
        await broker.publish(event);
        await eventually(async () => expect(await inboxModel(connection).countDocuments({ eventId: event.id })).toBe(1));
        await eventually(async () => expect(await probe.messageCount(queue)).toBe(0));
        expect(await effectsOf(event.id)).toBe(1);
      } finally {
        await consumer.stop();
      }
    });
  });

  describe('outbox', () => {
    const transaction = () => mongoTransaction(connection);

    /** A state change and its event in one transaction, as a service writes them. */
    async function commitWithEvent(): Promise<EventEnvelope> {
      const event = registration();
      await transaction()(async (session) => {
        await ledger().insertOne({ _id: randomUUID(), eventId: event.id }, { session });
        await outbox.enqueue(session, event);
      });
      return event;
    }

    const record = (eventId: string) => outboxModel(connection).findOne({ eventId }).lean();

    it('publishes a committed event exactly once and marks it sent', async () => {
      const event = await commitWithEvent();
      expect((await record(event.id))?.sentAt).toBeNull();
      const relay = new OutboxRelay({ store: outbox, broker, log: testLog, pollIntervalMs: 50 });
      relay.start();
      try {
        await eventually(async () => expect((await record(event.id))?.sentAt).toBeInstanceOf(Date));
        await eventually(() => expect(copiesOf(event.id)).toBe(1));
        const message = received.find((candidate) => candidate.properties.messageId === event.id)!;
        expect(JSON.parse(message.content.toString())).toEqual(event);
      } finally {
        await relay.stop();
      }
    });

    it('keeps neither the state change nor the event of an aborted transaction', async () => {
      const event = registration();
      await expect(
        transaction()(async (session) => {
          await ledger().insertOne({ _id: randomUUID(), eventId: event.id }, { session });
          await outbox.enqueue(session, event);
          throw new Error('validation failed after the writes');
        }),
      ).rejects.toThrow('validation failed');
      expect(await record(event.id)).toBeNull();
      expect(await effectsOf(event.id)).toBe(0);
    });

    it('lets two relays share the outbox without publishing any event twice', async () => {
      const events: EventEnvelope[] = [];
      for (let index = 0; index < 30; index += 1) events.push(await commitWithEvent());
      const relays = [1, 2].map(() => new OutboxRelay({ store: outbox, broker, log: testLog, pollIntervalMs: 50, batchSize: 4 }));
      for (const relay of relays) relay.start();
      try {
        await eventually(async () => expect(await outboxModel(connection).countDocuments({ sentAt: null })).toBe(0));
        await eventually(() => expect(events.map((event) => copiesOf(event.id))).toEqual(events.map(() => 1)));
      } finally {
        await Promise.all(relays.map((relay) => relay.stop()));
      }
    });

    it('takes over a batch whose relay died holding it once its lease has run out, and not before', async () => {
      const held = await commitWithEvent();
      const abandoned = await commitWithEvent();
      const inTheFuture = new Date(Date.now() + 60_000);
      await outboxModel(connection).updateOne({ eventId: held.id }, { $set: { claimedBy: 'alive', claimedUntil: inTheFuture } });
      await outboxModel(connection).updateOne({ eventId: abandoned.id }, { $set: { claimedBy: 'dead', claimedUntil: new Date(Date.now() - 1) } });
      const relay = new OutboxRelay({ store: outbox, broker, log: testLog, pollIntervalMs: 50 });
      relay.start();
      try {
        await eventually(() => expect(copiesOf(abandoned.id)).toBe(1));
        expect(copiesOf(held.id)).toBe(0);
        expect(await relay.backlog()).toEqual({ count: 1, oldestAgeSeconds: expect.any(Number) });
      } finally {
        await relay.stop();
        await outboxModel(connection).updateOne({ eventId: held.id }, { $set: { claimedBy: null, claimedUntil: null } });
      }
    });
  });
});
