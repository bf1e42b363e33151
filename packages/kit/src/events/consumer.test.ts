import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { DB } from '../../test/generated/tables';
import { AmqpProbe, amqpUrl, eventually, migrationsDir, testLog, uniqueExchange } from '../../test/support';
import { connectSql, type SqlDatabase } from '../db/sql';
import { createMetrics } from '../metrics';
import { createTestDatabase } from '../testing';
import { connectBroker, type Broker } from './broker';
import { PermanentEventError, consumerQueueName, deadLetterQueueName, on, startConsumer, type Consumer, type Subscription } from './consumer';
import { AuthUserDeleted, AuthUserRegistered, UserProfileUpdated } from './contracts';
import { listDeadLetters, purgeDeadLetters, replayDeadLetter } from './dead-letters';
import { buildEvent, envelopeSchema, type EventEnvelope } from './envelope';
import { enqueueEvent } from './outbox';
import type { TransactionRunner } from './sql';

type Tx = Transaction<DB>;

const exchange = uniqueExchange('consumer');
const retryDelaysMs = [50, 100];
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let sqlDb: SqlDatabase<DB>;
let broker: Broker;
let probe: AmqpProbe;
const metrics = createMetrics('kit-consumer-test');
const consumers: Consumer[] = [];
const queuesUsed: string[] = [];

const transaction: TransactionRunner<Tx> = (work) => sqlDb.db.transaction().execute(work);

beforeAll(async () => {
  database = await createTestDatabase('kit_consumer', migrationsDir);
  sqlDb = connectSql<DB>(database.url);
  broker = await connectBroker({ url: amqpUrl, exchange, name: 'kit-consumer-test', log: testLog });
  probe = await AmqpProbe.open();
});

afterEach(async () => {
  await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
});

afterAll(async () => {
  const queues = queuesUsed.flatMap((queue) => [queue, deadLetterQueueName(queue), ...retryDelaysMs.map((delay) => `${queue}.retry.${delay}`)]);
  await probe.deleteTopology(exchange, queues);
  await probe.close();
  await broker.close();
  await sqlDb.close();
  await database.drop();
});

async function consume(name: string, subscriptions: Subscription<Tx>[], options: { batchSize?: number; transaction?: TransactionRunner<Tx> } = {}): Promise<string> {
  consumers.push(await startConsumer({ broker, queue: name, subscriptions, transaction: options.transaction ?? transaction, log: testLog, metrics, retryDelaysMs, batchSize: options.batchSize }));
  const queue = consumerQueueName(exchange, name);
  queuesUsed.push(queue);
  return queue;
}

/** Writes the effect, then lets the test decide what the handler does next (fail, block, succeed). */
function createProfileThen(next: (event: EventEnvelope<{ userId: string; displayName: string }>, tx: Tx) => Promise<void> | void): Subscription<Tx> {
  return on(AuthUserRegistered, async (event, tx: Tx) => {
    await tx.insertInto('ledger').values({ eventId: event.id, userId: event.data.userId, note: `profile for ${event.data.displayName}` }).execute();
    await next(event, tx);
  });
}

function registration(displayName = 'Ada'): EventEnvelope {
  const userId = randomUUID();
  return buildEvent(AuthUserRegistered, userId, { userId, email: `${userId}@example.com`, roles: ['customer'], displayName });
}

const countWhere = async (table: 'ledger' | 'inbox', eventId: string) =>
  Number((await sqlDb.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).where('eventId', '=', eventId).executeTakeFirstOrThrow()).n);
const effects = (eventId: string) => countWhere('ledger', eventId);
const inboxRows = (eventId: string) => countWhere('inbox', eventId);

async function handled(queue: string, outcome: string): Promise<number> {
  const { values } = await metrics.eventsConsumed.get();
  return values.filter((value) => value.labels.queue === queue && value.labels.outcome === outcome).reduce((sum, value) => sum + value.value, 0);
}

describe('idempotent consumer', () => {
  it('applies a redelivered event once and records it once in the inbox', async () => {
    const queue = await consume('dup', [createProfileThen(() => undefined)]);
    const event = registration();

    await broker.publish(event);
    await broker.publish(event);

    await eventually(async () => expect(await handled(queue, 'processed') + (await handled(queue, 'duplicate'))).toBe(2));
    expect(await handled(queue, 'duplicate')).toBe(1);
    expect(await effects(event.id)).toBe(1);
    expect(await inboxRows(event.id)).toBe(1);
  });

  it('runs the handler in the event context, so events it enqueues keep the correlation id and name their cause', async () => {
    await consume('chain', [
      createProfileThen(async (event, tx) => {
        await enqueueEvent(tx, buildEvent(UserProfileUpdated, event.data.userId, { userId: event.data.userId, changed: ['displayName'] }));
      }),
    ]);
    const event = registration();

    await broker.publish(event);

    const row = await eventually(() => sqlDb.db.selectFrom('outbox').selectAll().where('type', '=', 'user.profile.updated').executeTakeFirstOrThrow());
    expect(envelopeSchema.parse(JSON.parse(row.payload))).toMatchObject({ correlationId: event.correlationId, causationId: event.id });
  });

  it('retries a transient failure through the retry queues and applies the event once it succeeds', async () => {
    const failuresLeft = new Map<string, number>();
    const queue = await consume('flaky', [
      createProfileThen((event) => {
        const left = failuresLeft.get(event.id) ?? 0;
        failuresLeft.set(event.id, left - 1);
        if (left > 0) throw new Error('database briefly unavailable');
      }),
    ]);
    const event = registration();
    failuresLeft.set(event.id, 2);

    await broker.publish(event);

    await eventually(async () => expect(await inboxRows(event.id)).toBe(1));
    expect(await effects(event.id)).toBe(1);
    expect(await handled(queue, 'retried')).toBe(2);
    expect(failuresLeft.get(event.id)).toBe(-1);
  });

  it('keeps retrying past the last retry queue while a dependency is unavailable, and applies the event once it is back', async () => {
    const failuresLeft = new Map<string, number>();
    const queue = await consume('outage', [
      createProfileThen((event) => {
        const left = failuresLeft.get(event.id) ?? 0;
        failuresLeft.set(event.id, left - 1);
        if (left > 0) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });
      }),
    ]);
    const event = registration();
    failuresLeft.set(event.id, 5);

    await broker.publish(event);

    await eventually(async () => expect(await inboxRows(event.id)).toBe(1));
    expect(await effects(event.id)).toBe(1);
    expect(await handled(queue, 'retried')).toBe(5);
    expect(await probe.messageCount(deadLetterQueueName(queue))).toBe(0);
  });

  it('dead-letters an event that still fails after the last retry, leaving no partial effect', async () => {
    const queue = await consume('broken', [
      createProfileThen(() => {
        throw new Error('downstream invariant check crashed');
      }),
    ]);
    const event = registration();

    await broker.publish(event);

    await eventually(async () => expect(await probe.messageCount(deadLetterQueueName(queue))).toBe(1));
    const [letter] = await listDeadLetters(broker, queue);
    expect(letter).toMatchObject({ eventId: event.id, retries: 2, reason: 'still failing after 3 attempts: downstream invariant check crashed' });
    expect(await effects(event.id)).toBe(0);
    expect(await inboxRows(event.id)).toBe(0);
  });

  it('parks poison messages with their reason, lists them without losing any, and replays a fixed one once', async () => {
    const rejected = new Set<string>();
    const queue = await consume('poison', [
      createProfileThen((event) => {
        if (rejected.has(event.id)) throw new PermanentEventError('display name is reserved');
      }),
    ]);
    const valid = registration();
    const publishRaw = (routingKey: string, body: string, messageId: string) =>
      probe.channel.publish(exchange, routingKey, Buffer.from(body), { messageId, type: routingKey, persistent: true });
    const reserved = registration('admin');
    rejected.add(reserved.id);

    publishRaw('auth.user.registered', '{not json', 'not-json');
    publishRaw('auth.user.registered', JSON.stringify({ hello: 'world' }), 'not-an-envelope');
    publishRaw('auth.user.registered', JSON.stringify({ ...valid, id: randomUUID(), version: 2 }), 'unknown-version');
    publishRaw('auth.user.registered', JSON.stringify({ ...valid, id: randomUUID(), data: { userId: 'x' } }), 'bad-data');
    const deletion = buildEvent(AuthUserDeleted, valid.subject, { userId: valid.subject, deletedBy: valid.subject });
    probe.channel.sendToQueue(queue, Buffer.from(JSON.stringify(deletion)), { messageId: deletion.id });
    await broker.publish(reserved);

    const dlq = deadLetterQueueName(queue);
    await eventually(async () => expect(await probe.messageCount(dlq)).toBe(6));
    const letters = await listDeadLetters(broker, queue);
    const reasonOf = (id: string) => letters.find((letter) => letter.eventId === id)?.reason;
    expect(letters).toHaveLength(6);
    expect(reasonOf('not-json')).toMatch(/^body is not JSON/);
    expect(reasonOf('not-an-envelope')).toMatch(/^envelope does not match the schema: id: /);
    expect(reasonOf('unknown-version')).toMatch(/^version 2 of auth.user.registered is unknown here/);
    expect(reasonOf('bad-data')).toMatch(/^data of auth.user.registered v1 does not match its schema: userId: /);
    expect(reasonOf(deletion.id)).toBe(`no subscription for event type auth.user.deleted in ${queue}`);
    expect(reasonOf(reserved.id)).toBe('handler rejected the event: display name is reserved');
    expect(letters.every((letter) => letter.queue === queue && letter.failedAt !== undefined)).toBe(true);
    expect(await effects(reserved.id)).toBe(0);
    expect(await listDeadLetters(broker, queue)).toHaveLength(6);
    expect(await probe.messageCount(dlq)).toBe(6);

    rejected.clear();
    expect(await replayDeadLetter(broker, queue, reserved.id)).toBe(1);
    await eventually(async () => expect(await inboxRows(reserved.id)).toBe(1));
    expect(await effects(reserved.id)).toBe(1);
    expect(await replayDeadLetter(broker, queue, reserved.id)).toBe(0);
    expect(await probe.messageCount(dlq)).toBe(5);

    expect(await purgeDeadLetters(broker, queue, 'not-json')).toBe(1);
    expect(await purgeDeadLetters(broker, queue)).toBe(4);
    expect(await probe.messageCount(dlq)).toBe(0);
  });

  it('stops only after the handler in flight has committed and its message is acked', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const handlerEntered = new Promise<void>((resolve) => (entered = resolve));
    const queue = await consume('drain', [
      createProfileThen(async () => {
        entered();
        await gate;
      }),
    ]);
    const consumer = consumers.pop()!;
    const event = registration();

    await broker.publish(event);
    await handlerEntered;
    let stopped = false;
    const stopping = consumer.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stopped).toBe(false);

    release();
    await stopping;
    expect(await inboxRows(event.id)).toBe(1);
    expect(await probe.messageCount(queue)).toBe(0);
  });
});

describe('batches', () => {
  /** The consumer's transactions, counted: a batch is one of them. */
  function countingTransactions(): { transaction: TransactionRunner<Tx>; count(): number } {
    let count = 0;
    return {
      transaction: (work) => {
        count += 1;
        return sqlDb.db.transaction().execute(work);
      },
      count: () => count,
    };
  }

  it('handles events that arrive together in fewer transactions, each once, duplicates included', async () => {
    const counted = countingTransactions();
    // A slow effect, so that events pile up behind the batch in progress.
    const queue = await consume('batched', [createProfileThen(() => new Promise((resolve) => setTimeout(resolve, 20)))], { batchSize: 10, transaction: counted.transaction });
    const events = Array.from({ length: 40 }, () => registration());
    for (const event of events) await broker.publish(event);
    await broker.publish(events[3]!);
    await broker.publish(events[17]!);

    await eventually(async () => expect((await handled(queue, 'processed')) + (await handled(queue, 'duplicate'))).toBe(42));
    expect(await handled(queue, 'processed')).toBe(40);
    expect(await handled(queue, 'duplicate')).toBe(2);
    for (const event of events) expect(await effects(event.id)).toBe(1);
    expect(counted.count()).toBeLessThan(40 / 2);
  });

  it('rolls a batch back when one handler fails: the others are applied once on their own, the failing one retried and parked', async () => {
    const counted = countingTransactions();
    const broken = new Set<string>();
    const queue = await consume(
      'batched-failure',
      [
        createProfileThen(async (event) => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          if (broken.has(event.id)) throw new Error('this one never works');
        }),
      ],
      { batchSize: 10, transaction: counted.transaction },
    );
    const events = Array.from({ length: 20 }, () => registration());
    broken.add(events[5]!.id);
    for (const event of events) await broker.publish(event);

    await eventually(async () => expect(await probe.messageCount(deadLetterQueueName(queue))).toBe(1));
    await eventually(async () => expect(await handled(queue, 'processed')).toBe(19));
    for (const event of events) expect(await effects(event.id)).toBe(broken.has(event.id) ? 0 : 1);
    expect(await inboxRows(events[5]!.id)).toBe(0);
    const [letter] = await listDeadLetters(broker, queue);
    expect(letter).toMatchObject({ eventId: events[5]!.id, reason: 'still failing after 3 attempts: this one never works' });
  });
});
