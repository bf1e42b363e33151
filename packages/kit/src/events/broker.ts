import { connect, type AmqpConnectionManager, type Channel, type ChannelWrapper } from 'amqp-connection-manager';
import type { Options } from 'amqplib';
import type { Logger } from '../logger';
import type { EventEnvelope } from './envelope';
import { closeTimeoutMs, openChannel, settlesWithin } from './channels';

export interface Broker {
  /** The durable topic exchange every domain event is published to. */
  readonly exchange: string;
  /** How long a publish waits for the broker's confirm (the relay's transaction outlasts it). */
  readonly publishTimeoutMs: number;
  /**
   * Publishes a persistent message on a confirm channel and resolves once the broker confirmed it.
   * Rejects at once while the connection is down, and when no confirm comes within the publish timeout.
   */
  publish(event: EventEnvelope, headers?: Record<string, string>): Promise<void>;
  /** Throws while the connection is down: backs the service's `/ready`. */
  ready(): Promise<void>;
  close(): Promise<void>;
  readonly connection: AmqpConnectionManager;
}

export interface BrokerOptions {
  url: string;
  exchange: string;
  /** Connection name shown in RabbitMQ's management UI. */
  name: string;
  log: Logger;
  /** How long a publish waits for the broker's confirm; keep it below the relay's transaction timeout. */
  publishTimeoutMs?: number;
  /** Gives up on the first connection after this long (the CLI); services wait for the broker by default. */
  connectTimeoutMs?: number;
}

const defaultPublishTimeoutMs = 3_000;

/**
 * Connects with automatic reconnection and declares the events exchange. Resolves once connected and
 * the exchange exists, so events published right after are not lost to a missing exchange.
 */
export async function connectBroker(options: BrokerOptions): Promise<Broker> {
  const { exchange, log } = options;
  const publishTimeoutMs = options.publishTimeoutMs ?? defaultPublishTimeoutMs;
  const connection = connect([options.url], {
    heartbeatIntervalInSeconds: 5,
    reconnectTimeInSeconds: 1,
    // Without noDelay, Nagle plus delayed ACKs add ~40 ms to every publish round trip on loopback.
    connectionOptions: { noDelay: true, clientProperties: { connection_name: options.name } },
  });
  const lastFailure = watchConnection(connection, log, redactUrl(options.url));
  const opening = openChannel(connection, {
    name: `${options.name}/publish`,
    confirm: true,
    publishTimeout: publishTimeoutMs,
    setup: (channel) => assertEventsExchange(channel, exchange),
    onError: (error) => log.error({ err: error, exchange }, 'could not declare the events exchange'),
  });
  if (options.connectTimeoutMs !== undefined && !(await settlesWithin(opening, options.connectTimeoutMs))) {
    await settlesWithin(connection.close(), closeTimeoutMs);
    throw new Error(`could not connect to RabbitMQ at ${redactUrl(options.url)} within ${options.connectTimeoutMs} ms: ${lastFailure() ?? 'no answer'}`);
  }
  let channel: ChannelWrapper;
  try {
    channel = await opening;
  } catch (error) {
    // E.g. the exchange exists with other arguments: every publish would time out, so refuse to start.
    await settlesWithin(connection.close(), closeTimeoutMs);
    throw new Error(`could not declare the events exchange ${exchange}: ${errorMessage(error)}`, { cause: error });
  }

  return {
    exchange,
    publishTimeoutMs,
    connection,
    async publish(event, headers = {}) {
      if (!connection.isConnected()) throw new Error(`cannot publish ${event.type} ${event.id}: RabbitMQ connection is down`);
      try {
        await channel.publish(exchange, event.type, Buffer.from(JSON.stringify(event)), { ...eventMessageOptions(event, headers), timeout: publishTimeoutMs });
      } catch (error) {
        const reason = errorMessage(error) === 'timeout' ? `no confirm within ${publishTimeoutMs} ms` : errorMessage(error);
        throw new Error(`broker did not accept ${event.type} ${event.id}: ${reason}`, { cause: error });
      }
    },
    async ready() {
      if (!connection.isConnected()) throw new Error('RabbitMQ connection is down');
    },
    async close() {
      if (!(await settlesWithin(connection.close(), closeTimeoutMs))) log.warn({ exchange }, 'RabbitMQ did not confirm the close in time; connection abandoned');
    },
  };
}

/**
 * The events exchange routes by event type; its alternate exchange parks what no queue is bound to
 * yet in `<exchange>.unrouted`, so an event published before its first consumer exists is kept.
 */
export async function assertEventsExchange(channel: Channel, exchange: string): Promise<void> {
  const unrouted = `${exchange}.unrouted`;
  await channel.assertExchange(unrouted, 'fanout', { durable: true });
  await channel.assertQueue(unrouted, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await channel.bindQueue(unrouted, unrouted, '');
  await channel.assertExchange(exchange, 'topic', { durable: true, alternateExchange: unrouted });
}

/** Message properties and headers of an event; the routing key is its type. */
function eventMessageOptions(event: EventEnvelope, headers: Record<string, string> = {}): Options.Publish {
  return {
    persistent: true,
    contentType: 'application/json',
    messageId: event.id,
    type: event.type,
    appId: event.source,
    // AMQP timestamps are whole seconds.
    timestamp: Math.floor(Date.parse(event.time) / 1000),
    headers: {
      ...headers,
      'x-correlation-id': event.correlationId,
      ...(event.causationId ? { 'x-causation-id': event.causationId } : {}),
      ...(event.traceparent ? { traceparent: event.traceparent } : {}),
    },
  };
}

/** Logs connection changes; repeated identical connect failures are logged once, not every second. */
function watchConnection(connection: AmqpConnectionManager, log: Logger, url: string): () => string | undefined {
  let lastFailure: string | undefined;
  connection.on('connect', () => {
    lastFailure = undefined;
    log.info({ broker: url }, 'connected to RabbitMQ');
  });
  connection.on('disconnect', ({ err }: { err: Error }) => log.warn({ broker: url, reason: errorMessage(err) }, 'disconnected from RabbitMQ; reconnecting'));
  connection.on('connectFailed', ({ err }: { err: Error }) => {
    const reason = errorMessage(err);
    if (reason !== lastFailure) log.warn({ broker: url, reason }, 'cannot connect to RabbitMQ; retrying');
    lastFailure = reason;
  });
  connection.on('blocked', ({ reason }: { reason: string }) => log.warn({ broker: url, reason }, 'RabbitMQ blocked publishing'));
  connection.on('unblocked', () => log.info({ broker: url }, 'RabbitMQ unblocked publishing'));
  return () => lastFailure;
}

function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** Duck-typed: errors from Node's own modules fail `instanceof Error` inside jest's sandbox. */
export function errorMessage(error: unknown): string {
  return typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string' ? error.message : String(error);
}
