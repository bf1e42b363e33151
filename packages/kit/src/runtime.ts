import type { z } from 'zod';
import { baseConfigShape, ConfigError, loadConfig, portSetting } from './config';
import { StartupError } from './errors';
import { connectBroker, type Broker } from './events/broker';
import { startConsumer, type Subscription } from './events/consumer';
import type { Inbox } from './events/inbox';
import { OutboxRelay, type OutboxStore } from './events/outbox';
import type { Kysely, Transaction } from 'kysely';
import type { SqlDatabase } from './db/sql';
import { prismaRelayDatabase, relayDatabase, type PrismaDatabase, type SqlExecutor, type TransactionRunner } from './events/sql';
import { Lifecycle } from './lifecycle';
import { createLogger, type Logger } from './logger';
import { createMetrics, type Metrics } from './metrics';
import { createTokenVerifier, type TokenVerifier } from './principal';
import { profileOnSignal } from './profiling';
import { startTracing } from './tracing';
import { startServiceServer, type GraphQLContext, type ServiceServer, type ServiceServerOptions } from './server';

const runtimeShape = (port: number) => ({ ...baseConfigShape, PORT: portSetting(port) });
type RuntimeShape = ReturnType<typeof runtimeShape>;
export type BaseConfig = z.infer<z.ZodObject<RuntimeShape>>;

/** A process of the platform as the registry describes it: a service, or the gateway. */
export interface ProcessDefinition {
  readonly name: string;
  readonly port: number;
}

export interface ServiceRuntime<S extends z.ZodRawShape> {
  name: string;
  config: BaseConfig & z.infer<z.ZodObject<S>>;
  log: Logger;
  metrics: Metrics;
  lifecycle: Lifecycle;
  verifyToken: TokenVerifier;
}

/**
 * Runs one service: validated config, logger, metrics, token verification and ordered shutdown,
 * then the service's own wiring. A failure while starting is logged and stops the process.
 */
export async function runService<S extends z.ZodRawShape>(
  definition: ProcessDefinition,
  shape: S,
  wire: (runtime: ServiceRuntime<S>) => Promise<void>,
): Promise<ServiceRuntime<S>> {
  const { name, port } = definition;
  const log = createLogger(name);
  let config: ServiceRuntime<S>['config'];
  try {
    // One parse of both shapes, so every wrong variable is reported at once.
    config = loadConfig({ ...runtimeShape(port), ...shape }) as BaseConfig & z.infer<z.ZodObject<S>>;
  } catch (error) {
    if (error instanceof ConfigError) {
      log.fatal({ issues: error.issues }, `${name} cannot start: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  log.level = config.LOG_LEVEL;
  const lifecycle = new Lifecycle(log);
  // Spans go out over OTLP only when OTEL_EXPORTER_OTLP_ENDPOINT is set; flushed on shutdown.
  const tracing = startTracing(name);
  if (tracing) lifecycle.add('tracing', () => tracing.shutdown());
  const runtime: ServiceRuntime<S> = {
    name,
    config,
    log,
    metrics: createMetrics(name),
    lifecycle,
    verifyToken: createTokenVerifier({ jwksUrl: config.AUTH_JWKS_URL, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE }),
  };
  lifecycle.handleSignals(config.SHUTDOWN_GRACE_MS);
  if (config.SUPERVISOR_PID) lifecycle.exitWithParent(config.SUPERVISOR_PID);
  profileOnSignal(name, log);
  try {
    await wire(runtime);
  } catch (error) {
    if (error instanceof StartupError) log.fatal(`${name} cannot start: ${error.message}`);
    else log.fatal({ err: error }, `${name} failed to start`);
    await lifecycle.shutdown();
    process.exit(1);
  }
  return runtime;
}

export interface Eventing<Tx> {
  broker: Broker;
  relay: OutboxRelay;
  /** Starts the service's idempotent consumer on its own queue. */
  consume(subscriptions: Subscription<Tx>[]): Promise<void>;
}

type EventingRuntime = Pick<ServiceRuntime<z.ZodRawShape>, 'name' | 'config' | 'log' | 'metrics' | 'lifecycle'>;

/**
 * The event plumbing every database-backed service has: a broker connection, the outbox relay and,
 * when it consumes, its consumer. Each is registered for shutdown in order. A MySQL service passes its
 * SQL database (outbox and inbox tables, handlers run in a Kysely transaction); a service still on
 * Prisma's client passes the client and its transaction runner; another store passes its outbox and
 * inbox (e.g. MongoOutbox and mongoInbox).
 */
export async function startEventing<DB>(runtime: EventingRuntime, options: { sql: SqlDatabase<DB> }): Promise<Eventing<Transaction<DB>>>;
export async function startEventing<Tx extends SqlExecutor>(
  runtime: EventingRuntime,
  options: { db: PrismaDatabase; transaction: TransactionRunner<Tx> },
): Promise<Eventing<Tx>>;
export async function startEventing<Tx>(runtime: EventingRuntime, options: { outbox: OutboxStore; inbox: Inbox<Tx> }): Promise<Eventing<Tx>>;
export async function startEventing<Tx>(
  runtime: EventingRuntime,
  options: { sql: SqlDatabase<unknown> } | { db: PrismaDatabase; transaction: TransactionRunner<Tx & SqlExecutor> } | { outbox: OutboxStore; inbox: Inbox<Tx> },
): Promise<Eventing<Tx>> {
  const { name, config, log, metrics, lifecycle } = runtime;
  const broker = await connectBroker({ url: config.AMQP_URL, exchange: config.EVENTS_EXCHANGE, name, log });
  lifecycle.add('broker', () => broker.close());
  const transaction: TransactionRunner<Tx & SqlExecutor> | undefined =
    'sql' in options ? kyselyTransactions<Tx & SqlExecutor>(options.sql.db) : 'transaction' in options ? options.transaction : undefined;
  const relay =
    'outbox' in options
      ? new OutboxRelay({ store: options.outbox, broker, log, metrics })
      : new OutboxRelay({ db: 'sql' in options ? relayDatabase(options.sql.db) : prismaRelayDatabase(options.db, broker.publishTimeoutMs), broker, log, metrics });
  relay.start();
  lifecycle.add('outbox relay', () => relay.stop());
  return {
    broker,
    relay,
    consume: async (subscriptions) => {
      // Events that arrive together share a transaction (up to 16), so a burst costs one commit and one
      // connection instead of one each; an event that comes alone waits for nothing.
      const common = { broker, queue: name, subscriptions, log, metrics, relay, batchSize: 16 };
      const consumer =
        'inbox' in options
          ? await startConsumer({ ...common, inbox: options.inbox })
          : await startConsumer<Tx & SqlExecutor>({ ...common, subscriptions: subscriptions as Subscription<Tx & SqlExecutor>[], transaction: transaction! });
      lifecycle.add('consumer', () => consumer.stop());
    },
  };
}

/** The handler's transaction is the Kysely transaction itself: the inbox and outbox run their statements in it. */
function kyselyTransactions<Tx>(db: Kysely<unknown>): TransactionRunner<Tx & SqlExecutor> {
  return (work) => db.transaction().execute((tx) => work(tx as unknown as Tx & SqlExecutor));
}



/**
 * Starts the service's HTTP server with what the runtime already knows (name, host, port, mode, logs,
 * metrics, token check) and closes it first on shutdown.
 */
export async function serve<TContext extends GraphQLContext>(
  runtime: Pick<ServiceRuntime<z.ZodRawShape>, 'name' | 'config' | 'log' | 'metrics' | 'lifecycle' | 'verifyToken'>,
  options: Pick<ServiceServerOptions<TContext>, 'readiness' | 'subgraph' | 'gateway' | 'rest' | 'bodyLimitBytes'> & { verifyToken?: TokenVerifier },
): Promise<ServiceServer> {
  const { name, config, log, metrics, lifecycle } = runtime;
  const server = await startServiceServer<TContext>({
    name,
    host: config.HOST,
    port: config.PORT,
    production: config.NODE_ENV === 'production',
    log,
    metrics,
    verifyToken: options.verifyToken ?? runtime.verifyToken,
    trustProxy: config.TRUST_PROXY,
    ...options,
  });
  lifecycle.add('http', () => server.close());
  return server;
}
