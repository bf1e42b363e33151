import { setTimeout as sleep } from 'node:timers/promises';
import type { AmqpConnectionManager } from 'amqp-connection-manager';
import type { ConfirmChannel, GetMessage, Message } from 'amqplib';
import type { Broker } from './broker';
import { closeTimeoutMs, settlesWithin } from './channels';
import { deadLetterQueueName, failureHeaders, republishOptions } from './consumer';

/**
 * Dead letters of one consumer queue (`x.events.user` → `x.events.user.dlq`).
 *
 * Reading is non-destructive: messages are fetched with `basic.get` without acking and handed back
 * when the channel closes (also if this process dies). Unlike a nack, a return on channel close is
 * not a failed delivery, so looking at a DLQ does not wear down a quorum queue's delivery limit.
 * Replay sends the original body, message id and trace headers to the consumer queue (confirmed,
 * mandatory) before acking the dead letter, so a crash in between leaves a copy in both places,
 * which the consumer's inbox makes harmless, and never in neither.
 */
export interface DeadLetter {
  /** The consumer queue the event failed in. */
  queue: string;
  eventId: string | undefined;
  type: string | undefined;
  reason: string | undefined;
  failedAt: string | undefined;
  /** Retries spent before the event was parked. */
  retries: number;
  correlationId: string | undefined;
  body: string;
}

export type AmqpSource = Broker | AmqpConnectionManager;

export async function listDeadLetters(source: AmqpSource, queue: string, options: { limit?: number } = {}): Promise<DeadLetter[]> {
  const limit = options.limit ?? 1_000;
  return browse(source, queue, async (channel, dlq) => {
    const letters: DeadLetter[] = [];
    while (letters.length < limit) {
      const message = await channel.get(dlq, { noAck: false });
      if (!message) break;
      letters.push(toDeadLetter(queue, message));
    }
    return { result: letters, returned: letters.length };
  });
}

/** Number of dead letters, or undefined when the consumer never declared its DLQ. */
export async function countDeadLetters(source: AmqpSource, queue: string): Promise<number | undefined> {
  try {
    return await withChannel(source, async (channel) => (await channel.checkQueue(deadLetterQueueName(queue))).messageCount);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Replays every dead letter with this event id (normally one); returns how many were replayed. */
export function replayDeadLetter(source: AmqpSource, queue: string, eventId: string): Promise<number> {
  return settleDeadLetters(source, queue, (message) => message.properties.messageId === eventId, 'replay');
}

export function replayAllDeadLetters(source: AmqpSource, queue: string): Promise<number> {
  return settleDeadLetters(source, queue, () => true, 'replay');
}

/** Drops the dead letters with this event id, or all of them; returns how many were dropped. */
export async function purgeDeadLetters(source: AmqpSource, queue: string, eventId?: string): Promise<number> {
  if (eventId !== undefined) return settleDeadLetters(source, queue, (message) => message.properties.messageId === eventId, 'drop');
  return withChannel(source, async (channel) => (await channel.purgeQueue(deadLetterQueueName(queue))).messageCount);
}

/**
 * Walks the DLQ once (as many messages as it held at the start, so a replayed event that fails again
 * and returns to the tail is not replayed twice), replaying or dropping the selected messages.
 */
async function settleDeadLetters(source: AmqpSource, queue: string, select: (message: GetMessage) => boolean, action: 'replay' | 'drop'): Promise<number> {
  return browse(source, queue, async (channel, dlq) => {
    const { messageCount } = await channel.checkQueue(dlq);
    let seen = 0;
    let settled = 0;
    while (seen < messageCount) {
      const message = await channel.get(dlq, { noAck: false });
      if (!message) break;
      seen += 1;
      if (!select(message)) continue;
      if (action === 'replay') await sendMandatory(channel, queue, message);
      channel.ack(message);
      settled += 1;
    }
    return { result: settled, returned: seen - settled };
  });
}

/**
 * Runs `work` on a channel of its own, whose close hands back what it fetched and did not ack.
 * The queue applies those returns asynchronously, so this waits (briefly) until they are ready again:
 * a list followed at once by a replay must find every message.
 */
async function browse<T>(
  source: AmqpSource,
  queue: string,
  work: (channel: ConfirmChannel, dlq: string) => Promise<{ result: T; returned: number }>,
): Promise<T> {
  const dlq = deadLetterQueueName(queue);
  const { result, returned } = await withChannel(source, (channel) => work(channel, dlq));
  if (returned > 0) {
    const deadline = Date.now() + returnsVisibleWithinMs;
    await withChannel(source, async (channel) => {
      while ((await channel.checkQueue(dlq)).messageCount < returned && Date.now() < deadline) await sleep(5);
    });
  }
  return result;
}

const returnsVisibleWithinMs = 2_000;

const replayOmittedHeaders = [failureHeaders.attempt, failureHeaders.lastError, failureHeaders.reason, failureHeaders.originalQueue, failureHeaders.failedAt];

async function sendMandatory(channel: ConfirmChannel, queue: string, message: Message): Promise<void> {
  let returned = false;
  const onReturn = () => {
    returned = true;
  };
  channel.on('return', onReturn);
  try {
    channel.sendToQueue(queue, message.content, {
      ...republishOptions(message, { 'x-replayed-at': new Date().toISOString() }, replayOmittedHeaders),
      mandatory: true,
    });
    await channel.waitForConfirms();
  } finally {
    channel.off('return', onReturn);
  }
  if (returned) throw new Error(`queue ${queue} does not exist: start its consumer before replaying`);
}

/** A short-lived confirm channel; closing it returns every message fetched and not acked. */
async function withChannel<T>(source: AmqpSource, work: (channel: ConfirmChannel) => Promise<T>): Promise<T> {
  const manager = 'ready' in source ? source.connection : source;
  if (!manager.connection) throw new Error('not connected to RabbitMQ');
  const channel = await manager.connection.createConfirmChannel();
  // A channel error also rejects the operation that caused it, which reports it; this keeps the
  // emitter from throwing it a second time.
  channel.on('error', () => undefined);
  try {
    return await work(channel);
  } finally {
    await settlesWithin(channel.close(), closeTimeoutMs);
  }
}

function toDeadLetter(queue: string, message: GetMessage): DeadLetter {
  const headers = message.properties.headers ?? {};
  const retries: unknown = headers[failureHeaders.attempt];
  return {
    queue,
    eventId: text(message.properties.messageId),
    type: text(message.properties.type),
    reason: text(headers[failureHeaders.reason]),
    failedAt: text(headers[failureHeaders.failedAt]),
    retries: typeof retries === 'number' ? retries : 0,
    correlationId: text(headers['x-correlation-id']),
    body: message.content.toString('utf8'),
  };
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return Buffer.isBuffer(value) ? value.toString('utf8') : undefined;
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 404;
}
