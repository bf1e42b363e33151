import { randomUUID } from 'node:crypto';
import { parse } from 'graphql';
import type { Transaction } from 'kysely';
import type { DB } from '../test/generated/tables';
import { AmqpProbe, amqpUrl, eventually, migrationsDir, testLog, uniqueExchange } from '../test/support';
import { connectSql, type SqlDatabase } from './db/sql';
import { connectBroker, type Broker } from './events/broker';
import { PermanentEventError, consumerQueueName, deadLetterQueueName, on, startConsumer, type Consumer } from './events/consumer';
import { AuthUserDeleted, AuthUserRegistered } from './events/contracts';
import { buildEvent } from './events/envelope';
import { OutboxRelay, enqueueEvent } from './events/outbox';
import { relayDatabase, type TransactionRunner } from './events/sql';
import { runWithContext } from './context';
import { createLogger } from './logger';
import { createMetrics } from './metrics';
import { unauthenticated } from './errors';
import { startServiceServer, type GraphQLContext, type ServiceServer } from './server';
import { createTestDatabase } from './testing';

type Tx = Transaction<DB>;

const exchange = uniqueExchange('metrics');
const retryDelaysMs = [50];
const metrics = createMetrics('kit-metrics-test');
const consumerLines: Record<string, unknown>[] = [];
const consumerLog = createLogger('kit-metrics-test', 'info', { write: (line: string) => consumerLines.push(JSON.parse(line) as Record<string, unknown>) });
const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let sqlDb: SqlDatabase<DB>;
let broker: Broker;
let probe: AmqpProbe;
let relay: OutboxRelay;
let consumer: Consumer;
let server: ServiceServer;
const queue = consumerQueueName(exchange, 'metrics');
const transaction: TransactionRunner<Tx> = (work) => sqlDb.db.transaction().execute(work);

beforeAll(async () => {
  database = await createTestDatabase('kit_metrics', migrationsDir);
  sqlDb = connectSql<DB>(database.url);
  broker = await connectBroker({ url: amqpUrl, exchange, name: 'kit-metrics-test', log: testLog });
  probe = await AmqpProbe.open();
  relay = new OutboxRelay({ db: relayDatabase(sqlDb.db), broker, log: testLog, metrics, pollIntervalMs: 50 });
  consumer = await startConsumer({
    broker,
    queue: 'metrics',
    transaction,
    log: consumerLog,
    metrics,
    retryDelaysMs,
    relay,
    subscriptions: [
      on(AuthUserRegistered, async (event, tx: Tx) => {
        await tx.insertInto('ledger').values({ eventId: event.id, userId: event.data.userId, note: 'registered' }).execute();
      }),
      on(AuthUserDeleted, async () => {
        throw new PermanentEventError('this test refuses deletions');
      }),
    ],
  });
  server = await startServiceServer<GraphQLContext>({
    name: 'kit-metrics-test',
    host: '127.0.0.1',
    port: 0,
    production: true,
    log: testLog,
    metrics,
    readiness: {},
    verifyToken: async () => {
      throw unauthenticated('no tokens in this test');
    },
    subgraph: {
      typeDefs: parse('type Query { ping: String! }'),
      resolvers: { Query: { ping: () => 'pong' } },
      context: (base) => base,
    },
  });
});

afterAll(async () => {
  await server.close();
  await consumer.stop();
  await relay.stop();
  await probe.deleteTopology(exchange, [queue, deadLetterQueueName(queue), ...retryDelaysMs.map((delay) => `${queue}.retry.${delay}`)]);
  await probe.close();
  await broker.close();
  await sqlDb.close();
  await database.drop();
});

async function scrape(): Promise<string> {
  const response = await fetch(`${server.url}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

/** The value of one sample of the exposition text, or undefined when it is absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries([...match[2]!.matchAll(/([a-zA-Z_]+)="([^"]*)"/g)].map((pair) => [pair[1], pair[2]]));
    if (Object.entries(labels).every(([key, value]) => present[key] === value)) return Number(match[3]);
  }
  return undefined;
}

async function enqueue(event: ReturnType<typeof buildEvent>): Promise<void> {
  await sqlDb.db.transaction().execute(async (tx) => {
    await enqueueEvent(tx, event);
  });
}

describe('/metrics of a service', () => {
  it('shows the outbox backlog and its oldest row while the relay has not published them', async () => {
    const userId = randomUUID();
    // Built inside a request's context, as a resolver would: the event carries its correlation id and trace context.
    const registered = runWithContext({ correlationId: 'metrics-test-request', traceparent: `00-${traceId}-00f067aa0ba902b7-01` }, () =>
      buildEvent(AuthUserRegistered, userId, { userId, email: `${userId}@example.com`, roles: ['customer'], displayName: 'Ada' }),
    );
    await enqueue(registered);
    await enqueue(buildEvent(AuthUserDeleted, userId, { userId, deletedBy: userId }));

    const text = await scrape();
    expect(sample(text, 'outbox_backlog_events', { service: 'kit-metrics-test' })).toBe(2);
    expect(sample(text, 'outbox_oldest_unsent_age_seconds', { service: 'kit-metrics-test' })).toBeGreaterThanOrEqual(0);
  });

  it('counts published, processed and dead-lettered events per type, and shows the dead-letter queue depth, once the relay runs', async () => {
    relay.start();

    const text = await eventually(async () => {
      const scraped = await scrape();
      expect(sample(scraped, 'events_consumed_total', { queue, type: 'auth.user.deleted', outcome: 'dead-lettered' })).toBe(1);
      expect(sample(scraped, 'consumer_queue_messages', { queue, kind: 'dead-lettered' })).toBe(1);
      return scraped;
    });
    expect(sample(text, 'events_published_total', { type: 'auth.user.registered' })).toBe(1);
    expect(sample(text, 'events_published_total', { type: 'auth.user.deleted' })).toBe(1);
    expect(sample(text, 'events_consumed_total', { queue, type: 'auth.user.registered', outcome: 'processed' })).toBe(1);
    expect(sample(text, 'consumer_queue_messages', { queue, kind: 'ready' })).toBe(0);
    expect(sample(text, 'outbox_backlog_events', {})).toBe(0);
  });

  it('observes GraphQL operation latency by operation name and outcome', async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'query Ping { ping }', operationName: 'Ping' }),
    });
    expect(response.status).toBe(200);
    await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'query Broken { nope }' }) });

    const text = await scrape();
    expect(sample(text, 'graphql_operation_duration_seconds_count', { operation: 'Ping', type: 'query', outcome: 'ok' })).toBe(1);
    expect(sample(text, 'graphql_operation_duration_seconds_count', { operation: 'invalid', outcome: 'error' })).toBe(1);
  });

  it('logs one JSON line per handled event with its service, correlation id, trace id and event type', () => {
    const handled = consumerLines.filter((line) => line.msg === 'event handled');
    expect(handled).toHaveLength(1);
    expect(handled[0]).toMatchObject({
      service: 'kit-metrics-test',
      correlationId: 'metrics-test-request',
      traceId,
      eventType: 'auth.user.registered',
      outcome: 'processed',
    });
    const parked = consumerLines.filter((line) => line.msg === 'event not handled');
    expect(parked).toEqual([expect.objectContaining({ service: 'kit-metrics-test', eventType: 'auth.user.deleted', outcome: 'dead-lettered' })]);
  });
});
