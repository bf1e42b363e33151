import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Channel, ChannelWrapper } from 'amqp-connection-manager';
import type { ConsumeMessage, Message, Options } from 'amqplib';
import type { z } from 'zod';
import { runWithContext } from '../context';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { markSpanFailed, messagingAttributes, SpanKind, startSpan } from '../tracing';
import { assertEventsExchange, errorMessage, type Broker } from './broker';
import { closeTimeoutMs, openChannel, settlesWithin } from './channels';
import { isDependencyUnavailable } from './dependency-failures';
import { envelopeSchema, traceparentPattern, type EventData, type EventDefinition, type EventEnvelope } from './envelope';
import { sqlInbox, type Inbox, type InboxOutcome } from './inbox';
import type { OutboxRelay } from './outbox';
import type { SqlExecutor, TransactionRunner } from './sql';

/** A message that can never succeed (breaks an invariant, refers to nothing): parked in the DLQ at once, not retried. */
export class PermanentEventError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentEventError';
  }
}

/** `Tx` is what the inbox hands the handler: a SQL transaction client, a MongoDB session. */
export interface Subscription<Tx> {
  definition: EventDefinition;
  handle(event: EventEnvelope, tx: Tx): Promise<void>;
}

export function on<D extends EventDefinition, Tx>(
  definition: D,
  handle: (event: EventEnvelope<EventData<D>>, tx: Tx) => Promise<void>,
): Subscription<Tx> {
  // The consumer parses `data` with `definition.data` before it calls handle, so the narrowing holds.
  return { definition, handle: (event, tx) => handle(event as EventEnvelope<EventData<D>>, tx) };
}

export interface Consumer {
  /** Cancels consuming, waits for the handlers in flight, then closes its channels. */
  stop(): Promise<void>;
}

interface CommonConsumerOptions<Tx> {
  broker: Broker;
  /** The consuming service's name, e.g. `user`; the queue is `<exchange>.<queue>`. */
  queue: string;
  subscriptions: Subscription<Tx>[];
  log: Logger;
  metrics?: Metrics;
  /** Messages the broker hands over before any is acked (default 5; twice `batchSize` when batching). */
  prefetch?: number;
  /**
   * Events handled in one transaction at most (default 1). Above 1, messages that arrive while a batch
   * runs go into the next one, and batches run one at a time: one commit and one connection for many
   * events when they come fast, no wait when they come one by one. Needs an inbox with handleManyOnce.
   */
  batchSize?: number;
  /**
   * One retry queue per delay; after the last one a failing event is dead-lettered (default 1 s, 5 s,
   * 30 s), unless a dependency is unavailable: that keeps retrying at the last delay.
   */
  retryDelaysMs?: number[];
  /** Woken after each handled event, so events its handler enqueued go out without waiting for a poll. */
  relay?: Pick<OutboxRelay, 'wake'>;
}

/** A MySQL service: the inbox is its `inbox` table, written in `transaction` with the handler's effect. */
export interface ConsumerOptions<Tx extends SqlExecutor> extends CommonConsumerOptions<Tx> {
  transaction: TransactionRunner<Tx>;
}

/** Any other store: the given inbox runs each handler in its transaction (e.g. mongoInbox). */
export interface InboxConsumerOptions<Tx> extends CommonConsumerOptions<Tx> {
  inbox: Inbox<Tx>;
}

export const consumerQueueName = (exchange: string, queue: string): string => `${exchange}.${queue}`;
export const deadLetterQueueName = (queue: string): string => `${queue}.dlq`;
const retryQueueName = (queue: string, delayMs: number): string => `${queue}.retry.${delayMs}`;

/** Headers the consumer writes on messages it republishes to a retry queue or the DLQ. */
export const failureHeaders = {
  attempt: 'x-attempt',
  lastError: 'x-last-error',
  reason: 'x-dead-letter-reason',
  originalQueue: 'x-original-queue',
  failedAt: 'x-failed-at',
} as const;

type Outcome = InboxOutcome | 'retried' | 'dead-lettered';

type Decoded<Tx> =
  | { ok: true; event: EventEnvelope; subscription: Subscription<Tx> }
  | { ok: false; reason: string; type?: string; id?: string };

const republishTimeoutMs = 10_000;
const requeueDelayMs = 1_000;
const headerValueLength = 1_000;

/**
 * Consumes `<exchange>.<queue>` (a quorum queue bound to every subscribed type). Each event is handled
 * once: its id goes into the inbox in the same transaction as the handler's effect, and the message
 * is acked only after that commit. Failures go through the retry queues, then to `<queue>.dlq`.
 */
export async function startConsumer<Tx extends SqlExecutor>(options: ConsumerOptions<Tx>): Promise<Consumer>;
export async function startConsumer<Tx>(options: InboxConsumerOptions<Tx>): Promise<Consumer>;
export async function startConsumer<Tx>(options: ConsumerOptions<Tx & SqlExecutor> | InboxConsumerOptions<Tx>): Promise<Consumer> {
  const { broker, log, metrics } = options;
  const inbox: Inbox<Tx> = 'inbox' in options ? options.inbox : sqlInbox(options.transaction);
  const queue = consumerQueueName(broker.exchange, options.queue);
  // Each message in flight holds a database connection for its transaction: half the pool (10) at most,
  // so that under a burst of events the service's own requests still get connections in time.
  const batchSize = inbox.handleManyOnce ? Math.max(1, options.batchSize ?? 1) : 1;
  const prefetch = options.prefetch ?? (batchSize > 1 ? 2 * batchSize : 5);
  const retryDelaysMs = options.retryDelaysMs ?? [1_000, 5_000, 30_000];
  if (retryDelaysMs.some((delay) => !Number.isInteger(delay) || delay <= 0)) throw new Error(`retry delays must be positive integers, got ${retryDelaysMs.join(', ')}`);
  const routes = routeTable(options.subscriptions);

  const inFlight = new Set<Promise<void>>();
  const waiting: { channel: Channel; message: ConsumeMessage }[] = [];
  let draining: Promise<void> | undefined;
  let stopping = false;
  let active: { channel: Channel; consumerTag: string } | undefined;

  const republisher = broker.connection.createChannel({ name: `${queue}/republish`, confirm: true, publishTimeout: republishTimeoutMs });
  republisher.on('error', (error: Error) => log.error({ err: error, queue }, 'republish channel failed'));

  // Consuming on the raw channel handed to setup means every ack goes to the channel that delivered
  // the message; acking a stale delivery tag on a reconnected channel would close it.
  let consuming: ChannelWrapper;
  try {
    consuming = await openChannel(broker.connection, {
      name: `${queue}/consume`,
      confirm: false,
      setup: async (channel) => {
        await declareConsumerTopology(channel, broker.exchange, queue, [...routes.keys()], retryDelaysMs);
        if (stopping) return;
        await channel.prefetch(prefetch);
        const { consumerTag } = await channel.consume(queue, (message) => {
          if (message === null) {
            log.error({ queue }, 'RabbitMQ cancelled the consumer (queue deleted?); restart the service to consume again');
            return;
          }
          // Left unacked: closing the channel on stop hands it back to the queue.
          if (stopping) return;
          if (batchSize > 1) {
            waiting.push({ channel, message });
            drainWaiting();
            return;
          }
          const work = handleDelivery(channel, message).finally(() => inFlight.delete(work));
          inFlight.add(work);
        });
        active = { channel, consumerTag };
      },
      onError: (error) => log.error({ err: error, queue }, 'could not set up the consumer'),
    });
  } catch (error) {
    await settlesWithin(republisher.close(), closeTimeoutMs);
    throw new Error(`could not start consuming ${queue}: ${errorMessage(error)}`, { cause: error });
  }
  log.info({ queue, types: [...routes.keys()], prefetch, batchSize }, 'consuming events');
  // Every scrape of /metrics asks RabbitMQ how many messages wait in the queue (the consumer's lag)
  // and how many are parked in its dead-letter queue.
  const unwatchQueue = metrics?.watchQueue(queue, async () => {
    const [main, parked] = await Promise.all([republisher.checkQueue(queue), republisher.checkQueue(deadLetterQueueName(queue))]);
    return { ready: main.messageCount, deadLettered: parked.messageCount };
  });

  /** Starts the next batch unless one runs; each batch takes what arrived meanwhile, up to batchSize. */
  function drainWaiting(): void {
    if (draining || waiting.length === 0 || stopping) return;
    const batch = waiting.splice(0, batchSize);
    draining = handleBatch(batch).finally(() => {
      draining = undefined;
      drainWaiting();
    });
    inFlight.add(draining);
    void draining.finally(() => inFlight.delete(draining!));
  }

  /**
   * The events of a batch, each with its inbox row, in one transaction. Should any handler fail, the
   * whole transaction rolls back and each event runs again in its own, where a failure is retried or
   * parked on its own; so a batch changes how often the database commits, never what an event does.
   */
  async function handleBatch(batch: { channel: Channel; message: ConsumeMessage }[]): Promise<void> {
    const started = performance.now();
    const decoded = batch.map(({ channel, message }) => ({ channel, message, attempt: attemptOf(message), decoded: decode(message, routes, queue) }));
    const handleable = decoded.flatMap((item) => (item.decoded.ok ? [{ ...item, event: item.decoded.event, subscription: item.decoded.subscription }] : []));
    const alone = decoded.filter((item) => !item.decoded.ok).map(({ channel, message }) => handleDelivery(channel, message));
    if (handleable.length < 2) {
      await Promise.all([...alone, ...handleable.map(({ channel, message }) => handleDelivery(channel, message))]);
      return;
    }
    const traced = handleable.map((item) => {
      const span = startSpan(`${item.event.type} process`, SpanKind.CONSUMER, traceparentOf(item.message) ?? item.event.traceparent, messagingAttributes(broker.exchange, item.event, 'process', queue));
      const context = { correlationId: item.event.correlationId, causationId: item.event.id, eventType: item.event.type, traceparent: span.traceparent };
      return { ...item, span, context };
    });
    let outcomes: InboxOutcome[];
    try {
      outcomes = await inbox.handleManyOnce!(
        queue,
        traced.map(({ event, subscription, context }) => ({ event, effect: (tx: Tx) => runWithContext(context, () => subscription.handle(event, tx)) })),
      );
    } catch (error) {
      for (const { span } of traced) span.span.end();
      log.debug({ err: error, queue, events: traced.length }, 'batch rolled back; handling its events one by one');
      await Promise.all([...alone, ...traced.map(({ channel, message }) => handleDelivery(channel, message))]);
      return;
    }
    if (outcomes.includes('processed')) options.relay?.wake();
    traced.forEach(({ channel, message, event, attempt, span, context }, index) => {
      const outcome = outcomes[index]!;
      settle(channel, message, 'ack');
      runWithContext(context, () => record({ type: event.type, id: event.id, outcome, started, attempt }));
      span.span.setAttribute('x.event.outcome', outcome);
      span.span.end();
    });
    await Promise.all(alone);
  }

  async function handleDelivery(channel: Channel, message: ConsumeMessage): Promise<void> {
    const started = performance.now();
    const attempt = attemptOf(message);
    const decoded = decode(message, routes, queue);
    try {
      if (!decoded.ok) {
        await deadLetter(message, decoded.reason, attempt);
        settle(channel, message, 'ack');
        record({ type: decoded.type, id: decoded.id, outcome: 'dead-lettered', started, attempt, reason: decoded.reason });
        return;
      }
      const { event, subscription } = decoded;
      const parent = traceparentOf(message) ?? event.traceparent;
      // A consumer span under the publish; events the handler enqueues become its children.
      const span = startSpan(`${event.type} process`, SpanKind.CONSUMER, parent, messagingAttributes(broker.exchange, event, 'process', queue));
      const context = {
        correlationId: event.correlationId,
        causationId: event.id,
        eventType: event.type,
        traceparent: span.traceparent,
      };
      try {
        await runWithContext(context, async () => {
          const { outcome, reason } = await handleEvent(event, subscription, message, attempt);
          settle(channel, message, 'ack');
          record({ type: event.type, id: event.id, outcome, started, attempt, reason });
          span.span.setAttribute('x.event.outcome', outcome);
          if (reason !== undefined && outcome !== 'processed' && outcome !== 'duplicate') markSpanFailed(span.span, reason);
        });
      } finally {
        span.span.end();
      }
    } catch (error) {
      // The retry or DLQ copy was not confirmed, so the original must stay: back to the queue, after a
      // pause so a broken broker does not turn into a redelivery loop.
      log.error({ err: error, queue, eventId: message.properties.messageId }, 'could not move a failed event; requeueing it');
      await sleep(requeueDelayMs);
      settle(channel, message, 'requeue');
    }
  }

  async function handleEvent(
    event: EventEnvelope,
    subscription: Subscription<Tx>,
    message: ConsumeMessage,
    attempt: number,
  ): Promise<{ outcome: Outcome; reason?: string }> {
    try {
      const outcome = await inbox.handleOnce(queue, event, (tx) => subscription.handle(event, tx));
      if (outcome === 'processed') options.relay?.wake();
      return { outcome };
    } catch (error) {
      if (error instanceof PermanentEventError) {
        const reason = `handler rejected the event: ${error.message}`;
        await deadLetter(message, reason, attempt);
        return { outcome: 'dead-lettered', reason };
      }
      // A dependency that is down is retried at the longest delay for as long as it stays down.
      const delayMs = retryDelaysMs[attempt] ?? (isDependencyUnavailable(error) ? retryDelaysMs.at(-1) : undefined);
      if (delayMs === undefined) {
        const reason = `still failing after ${attempt + 1} attempts: ${errorMessage(error)}`;
        await deadLetter(message, reason, attempt);
        return { outcome: 'dead-lettered', reason };
      }
      await republisher.sendToQueue(
        retryQueueName(queue, delayMs),
        message.content,
        republishOptions(message, {
          [failureHeaders.attempt]: Math.min(attempt + 1, retryDelaysMs.length),
          [failureHeaders.lastError]: errorMessage(error).slice(0, headerValueLength),
        }),
      );
      return { outcome: 'retried', reason: errorMessage(error) };
    }
  }

  async function deadLetter(message: ConsumeMessage, reason: string, attempt: number): Promise<void> {
    await republisher.sendToQueue(
      deadLetterQueueName(queue),
      message.content,
      republishOptions(message, {
        [failureHeaders.attempt]: attempt,
        [failureHeaders.reason]: reason.slice(0, headerValueLength),
        [failureHeaders.originalQueue]: queue,
        [failureHeaders.failedAt]: new Date().toISOString(),
      }),
    );
  }

  function settle(channel: Channel, message: ConsumeMessage, how: 'ack' | 'requeue'): void {
    try {
      if (how === 'ack') channel.ack(message);
      else channel.nack(message, false, true);
    } catch (error) {
      // The channel closed under us; the broker redelivers the message and the inbox absorbs the repeat.
      log.warn({ err: error, queue, eventId: message.properties.messageId }, 'channel closed before the message was settled');
    }
  }

  function record(entry: { type: string | undefined; id: string | undefined; outcome: Outcome; started: number; attempt: number; reason?: string }): void {
    const ms = Math.round((performance.now() - entry.started) * 10) / 10;
    // Only subscribed types become label values: garbage messages must not grow the series count.
    const typeLabel = entry.type !== undefined && routes.has(entry.type) ? entry.type : 'other';
    metrics?.eventsConsumed.inc({ queue, type: typeLabel, outcome: entry.outcome });
    const line = { queue, type: entry.type, eventId: entry.id, outcome: entry.outcome, ms, attempt: entry.attempt, reason: entry.reason };
    if (entry.outcome === 'processed' || entry.outcome === 'duplicate') log.info(line, 'event handled');
    else log.warn(line, 'event not handled');
  }

  return {
    async stop() {
      if (stopping) return;
      stopping = true;
      unwatchQueue?.();
      if (active) {
        try {
          await active.channel.cancel(active.consumerTag);
        } catch (error) {
          log.warn({ err: error, queue }, 'could not cancel the consumer; closing its channel instead');
        }
      }
      await Promise.allSettled([...inFlight]);
      await settlesWithin(Promise.all([consuming.close(), republisher.close()]), closeTimeoutMs);
      log.info({ queue }, 'stopped consuming events');
    },
  };
}

function routeTable<Tx>(subscriptions: Subscription<Tx>[]): Map<string, Map<number, Subscription<Tx>>> {
  if (subscriptions.length === 0) throw new Error('a consumer needs at least one subscription');
  const routes = new Map<string, Map<number, Subscription<Tx>>>();
  for (const subscription of subscriptions) {
    const { type, version } = subscription.definition;
    const versions = routes.get(type) ?? new Map<number, Subscription<Tx>>();
    if (versions.has(version)) throw new Error(`two subscriptions for ${type} v${version}`);
    versions.set(version, subscription);
    routes.set(type, versions);
  }
  return routes;
}

/** Quorum main queue and DLQ; classic retry queues whose TTL dead-letters back to the main queue. */
async function declareConsumerTopology(channel: Channel, exchange: string, queue: string, eventTypes: string[], retryDelaysMs: number[]): Promise<void> {
  await assertEventsExchange(channel, exchange);
  await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  for (const type of eventTypes) await channel.bindQueue(queue, exchange, type);
  for (const delayMs of new Set(retryDelaysMs)) {
    await channel.assertQueue(retryQueueName(queue, delayMs), { durable: true, messageTtl: delayMs, deadLetterExchange: '', deadLetterRoutingKey: queue });
  }
  await channel.assertQueue(deadLetterQueueName(queue), { durable: true, arguments: { 'x-queue-type': 'quorum' } });
}

function decode<Tx>(message: ConsumeMessage, routes: Map<string, Map<number, Subscription<Tx>>>, queue: string): Decoded<Tx> {
  let body: unknown;
  try {
    body = JSON.parse(message.content.toString('utf8'));
  } catch (error) {
    return { ok: false, reason: `body is not JSON: ${errorMessage(error)}`, type: stringOrUndefined(message.properties.type), id: stringOrUndefined(message.properties.messageId) };
  }
  const envelope = envelopeSchema.safeParse(body);
  if (!envelope.success) {
    return {
      ok: false,
      reason: `envelope does not match the schema: ${issuesText(envelope.error)}`,
      type: stringOrUndefined(message.properties.type),
      id: stringOrUndefined(message.properties.messageId),
    };
  }
  const { type, version, id } = envelope.data;
  const versions = routes.get(type);
  if (!versions) return { ok: false, reason: `no subscription for event type ${type} in ${queue}`, type, id };
  const subscription = versions.get(version);
  if (!subscription) {
    return { ok: false, reason: `version ${version} of ${type} is unknown here (handled: ${[...versions.keys()].join(', ')})`, type, id };
  }
  const data = subscription.definition.data.safeParse(envelope.data.data);
  if (!data.success) return { ok: false, reason: `data of ${type} v${version} does not match its schema: ${issuesText(data.error)}`, type, id };
  return { ok: true, event: { ...envelope.data, data: data.data }, subscription };
}

function issuesText(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

function attemptOf(message: ConsumeMessage): number {
  const value: unknown = message.properties.headers?.[failureHeaders.attempt];
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : 0;
}

function traceparentOf(message: ConsumeMessage): string | undefined {
  const value: unknown = message.properties.headers?.traceparent;
  return typeof value === 'string' && traceparentPattern.test(value) ? value : undefined;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * The original message's properties for a copy of it, minus `omit` and what the broker adds when it
 * dead-letters (x-death grows on every lap through a retry queue).
 */
export function republishOptions(message: Message, extraHeaders: Record<string, string | number>, omit: readonly string[] = []): Options.Publish {
  const { properties } = message;
  const inherited = Object.fromEntries(
    Object.entries(properties.headers ?? {}).filter(
      ([name]) => !omit.includes(name) && name !== 'x-death' && !name.startsWith('x-first-death-') && !name.startsWith('x-last-death-'),
    ),
  );
  return {
    persistent: true,
    contentType: properties.contentType,
    messageId: properties.messageId,
    type: properties.type,
    appId: properties.appId,
    timestamp: properties.timestamp,
    headers: { ...inherited, ...extraHeaders },
  };
}
