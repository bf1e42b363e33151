import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Transaction } from 'kysely';
import type { DB } from '../test/generated/tables';
import { AmqpProbe, amqpUrl, eventually, migrationsDir, testLog, uniqueExchange } from '../test/support';
import { connectSql, type SqlDatabase } from './db/sql';
import { unauthenticated } from './errors';
import { connectBroker, type Broker } from './events/broker';
import { consumerQueueName, deadLetterQueueName, on, startConsumer, type Consumer } from './events/consumer';
import { AuthUserRegistered, UserProfileUpdated } from './events/contracts';
import { buildEvent } from './events/envelope';
import { OutboxRelay, enqueueEvent } from './events/outbox';
import { relayDatabase, type TransactionRunner } from './events/sql';
import { createMetrics } from './metrics';
import { startServiceServer, type GraphQLContext, type ServiceServer } from './server';
import { createTestDatabase } from './testing';
import { startTracing, type Tracing } from './tracing';

type Tx = Transaction<DB>;

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: { stringValue?: string } }[];
}

const exchange = uniqueExchange('tracing');
const retryDelaysMs = [50];
const queue = consumerQueueName(exchange, 'tracing');
const nextQueue = consumerQueueName(exchange, 'tracing-next');
const spans: ReceivedSpan[] = [];
let receiver: Server;
let tracing: Tracing | undefined;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let sqlDb: SqlDatabase<DB>;
let broker: Broker;
let probe: AmqpProbe;
let relay: OutboxRelay;
let consumer: Consumer;
let nextConsumer: Consumer;
let server: ServiceServer;
const transaction: TransactionRunner<Tx> = (work) => sqlDb.db.transaction().execute(work);

/** An in-process OTLP/HTTP receiver: keeps every span of every JSON export request. */
async function startReceiver(): Promise<string> {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceSpans: { scopeSpans: { spans: ReceivedSpan[] }[] }[] };
      for (const resource of body.resourceSpans) for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  tracing = startTracing('kit-tracing-test', { endpoint: await startReceiver(), batch: false });
  database = await createTestDatabase('kit_tracing', migrationsDir);
  sqlDb = connectSql<DB>(database.url);
  broker = await connectBroker({ url: amqpUrl, exchange, name: 'kit-tracing-test', log: testLog });
  probe = await AmqpProbe.open();
  relay = new OutboxRelay({ db: relayDatabase(sqlDb.db), broker, log: testLog, pollIntervalMs: 50 });
  relay.start();
  consumer = await startConsumer({
    broker,
    queue: 'tracing',
    transaction,
    log: testLog,
    retryDelaysMs,
    subscriptions: [
      on(AuthUserRegistered, async (event, tx: Tx) => {
        await tx.insertInto('ledger').values({ eventId: event.id, userId: event.data.userId, note: 'registered' }).execute();
        // The next hop of a saga: an event the handler causes, consumed by another service.
        await enqueueEvent(tx, buildEvent(UserProfileUpdated, event.data.userId, { userId: event.data.userId, changed: ['displayName'] }));
      }),
    ],
  });
  nextConsumer = await startConsumer({
    broker,
    queue: 'tracing-next',
    transaction,
    log: testLog,
    retryDelaysMs,
    subscriptions: [
      on(UserProfileUpdated, async (event, tx: Tx) => {
        await tx.insertInto('ledger').values({ eventId: event.id, userId: event.data.userId, note: 'profile updated' }).execute();
      }),
    ],
  });
  server = await startServiceServer<GraphQLContext>({
    name: 'kit-tracing-test',
    host: '127.0.0.1',
    port: 0,
    production: true,
    log: testLog,
    metrics: createMetrics('kit-tracing-test'),
    readiness: {},
    verifyToken: async () => {
      throw unauthenticated('no tokens in this test');
    },
    // A state change and its event in one transaction, as every service's store writes them.
    rest: (app) => {
      app.post('/register', async () => {
        const userId = randomUUID();
        await sqlDb.db.transaction().execute(async (tx) => {
          await enqueueEvent(tx, buildEvent(AuthUserRegistered, userId, { userId, email: `${userId}@example.com`, roles: ['customer'], displayName: 'Ada' }));
        });
        relay.wake();
        return { userId };
      });
    },
  });
});

afterAll(async () => {
  await server.close();
  await consumer.stop();
  await nextConsumer.stop();
  await relay.stop();
  await tracing?.shutdown();
  await new Promise((resolve) => receiver.close(resolve));
  await probe.deleteTopology(
    exchange,
    [queue, nextQueue].flatMap((name) => [name, deadLetterQueueName(name), ...retryDelaysMs.map((delay) => `${name}.retry.${delay}`)]),
  );
  await probe.close();
  await broker.close();
  await sqlDb.close();
  await database.drop();
});

const attribute = (span: ReceivedSpan, key: string) => span.attributes.find((entry) => entry.key === key)?.value.stringValue;

describe('tracing over OTLP', () => {
  it('puts the request, the outbox publish and the consumer of its event in one trace, each the parent of the next', async () => {
    const callerTraceId = '0af7651916cd43dd8448eb211c80319c';
    const response = await fetch(`${server.url}/register`, { method: 'POST', headers: { traceparent: `00-${callerTraceId}-b7ad6b7169203331-01` } });
    expect(response.status).toBe(200);

    const consumed = await eventually(() => {
      const found = spans.find((span) => span.name === 'auth.user.registered process');
      expect(found).toBeDefined();
      return found!;
    });
    const served = spans.find((span) => span.name === 'POST /register');
    const published = spans.find((span) => span.name === 'auth.user.registered publish');
    expect(served).toMatchObject({ traceId: callerTraceId, parentSpanId: 'b7ad6b7169203331', kind: 2 });
    expect(published).toMatchObject({ traceId: callerTraceId, parentSpanId: served?.spanId, kind: 4 });
    expect(consumed).toMatchObject({ traceId: callerTraceId, parentSpanId: published?.spanId, kind: 5 });
    expect(attribute(published!, 'messaging.system')).toBe('rabbitmq');
    expect(attribute(published!, 'messaging.destination.name')).toBe(exchange);
    expect(attribute(consumed, 'messaging.rabbitmq.destination.routing_key')).toBe('auth.user.registered');
    expect(attribute(consumed, 'messaging.consumer.group.name')).toBe(queue);
  });

  it('continues the trace through the event a handler causes, to its consumer in another queue', async () => {
    const firstConsumed = spans.find((span) => span.name === 'auth.user.registered process');
    const nextConsumed = await eventually(() => {
      const found = spans.find((span) => span.name === 'user.profile.updated process');
      expect(found).toBeDefined();
      return found!;
    });
    const nextPublished = spans.find((span) => span.name === 'user.profile.updated publish');
    expect(nextPublished).toMatchObject({ traceId: firstConsumed?.traceId, parentSpanId: firstConsumed?.spanId, kind: 4 });
    expect(nextConsumed).toMatchObject({ traceId: firstConsumed?.traceId, parentSpanId: nextPublished?.spanId, kind: 5 });
    expect(attribute(nextConsumed, 'messaging.consumer.group.name')).toBe(nextQueue);
  });
});
