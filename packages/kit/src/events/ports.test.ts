import { randomUUID } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import { AmqpProbe, amqpUrl, eventually, testLog, uniqueExchange } from '../../test/support';
import { connectBroker, type Broker } from './broker';
import { consumerQueueName, deadLetterQueueName, on, startConsumer, type Consumer } from './consumer';
import { AuthUserRegistered } from './contracts';
import { buildEvent, type EventEnvelope } from './envelope';
import type { Inbox } from './inbox';
import { OutboxRelay, type OutboxStore, type PendingEvent, type PublishOutcome } from './outbox';

/**
 * The consumer and the relay work through the Inbox and OutboxStore ports, so a store other than SQL
 * (MongoDB) plugs in. These in-memory ports show the contract with the real broker; the SQL ports are
 * covered by consumer.test.ts and outbox.test.ts, the MongoDB ones by mongo-events.test.ts.
 */
class MemoryInbox implements Inbox<{ effects: string[] }> {
  readonly recorded = new Set<string>();
  readonly effects: string[] = [];

  async handleOnce(consumer: string, event: EventEnvelope, effect: (tx: { effects: string[] }) => Promise<void>): Promise<'processed' | 'duplicate'> {
    const key = `${consumer}/${event.id}`;
    if (this.recorded.has(key)) return 'duplicate';
    const tx = { effects: [] as string[] };
    await effect(tx);
    this.recorded.add(key);
    this.effects.push(...tx.effects);
    return 'processed';
  }
}

class MemoryOutbox implements OutboxStore {
  readonly pending = new Map<string, string>();
  readonly sent: string[] = [];

  async relayBatch(limit: number, publish: (events: PendingEvent[]) => Promise<PublishOutcome>): Promise<PublishOutcome> {
    const batch = [...this.pending].slice(0, limit).map(([id, payload]) => ({ id, payload }));
    if (batch.length === 0) return { sent: [], failed: [] };
    const outcome = await publish(batch);
    for (const id of outcome.sent) {
      this.pending.delete(id);
      this.sent.push(id);
    }
    return outcome;
  }

  async backlog(): Promise<{ count: number; oldestAgeSeconds: number }> {
    return { count: this.pending.size, oldestAgeSeconds: 0 };
  }
}

const exchange = uniqueExchange('ports');
let broker: Broker;
let probe: AmqpProbe;
let received: ConsumeMessage[];
const queues: string[] = [];

beforeAll(async () => {
  broker = await connectBroker({ url: amqpUrl, exchange, name: 'kit-ports-test', log: testLog });
  probe = await AmqpProbe.open();
  received = await probe.collect(exchange, 'auth.#');
});

afterAll(async () => {
  await probe.deleteTopology(exchange, queues.flatMap((queue) => [queue, deadLetterQueueName(queue), `${queue}.retry.50`]));
  await probe.close();
  await broker.close();
});

function registration(): EventEnvelope {
  const userId = randomUUID();
  return buildEvent(AuthUserRegistered, userId, { userId, email: `${userId}@example.com`, roles: ['customer'], displayName: 'Ada' });
}

describe('event ports', () => {
  it('consumes through a given Inbox: the handler runs in what the inbox hands it, once per event', async () => {
    const inbox = new MemoryInbox();
    let consumer: Consumer | undefined;
    try {
      consumer = await startConsumer({
        broker,
        queue: 'memory',
        inbox,
        log: testLog,
        retryDelaysMs: [50],
        subscriptions: [on(AuthUserRegistered, async (event, tx: { effects: string[] }) => void tx.effects.push(event.data.userId))],
      });
      queues.push(consumerQueueName(exchange, 'memory'));
      const event = registration();
      await broker.publish(event);
      await broker.publish(event);
      await eventually(() => expect(inbox.recorded.size).toBe(1));
      // The second copy has been delivered once the queue is empty and nothing is unacked.
      await eventually(async () => expect(await probe.messageCount(consumerQueueName(exchange, 'memory'))).toBe(0));
      expect(inbox.effects).toEqual([event.subject]);
    } finally {
      await consumer?.stop();
    }
  });

  it('relays through a given OutboxStore: publishes what it hands out and reports what the broker confirmed', async () => {
    const outbox = new MemoryOutbox();
    const events = [registration(), registration(), registration()];
    for (const event of events) outbox.pending.set(event.id, JSON.stringify(event));
    const relay = new OutboxRelay({ store: outbox, broker, log: testLog, pollIntervalMs: 50, batchSize: 2 });
    relay.start();
    try {
      await eventually(() => expect(outbox.sent.sort()).toEqual(events.map((event) => event.id).sort()));
      await eventually(() => expect(events.map((event) => received.filter((message) => message.properties.messageId === event.id).length)).toEqual([1, 1, 1]));
      expect(await relay.backlog()).toEqual({ count: 0, oldestAgeSeconds: 0 });
    } finally {
      await relay.stop();
    }
  });
});
