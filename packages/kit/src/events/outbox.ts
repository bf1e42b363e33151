import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { inSpan, messagingAttributes, SpanKind } from '../tracing';
import { errorMessage, type Broker } from './broker';
import { envelopeSchema, type EventEnvelope } from './envelope';
import { executeSql, querySql, type RelayDatabase, type SqlExecutor } from './sql';

/** Writes the event in the caller's transaction, so it is committed exactly when the state change is. */
export async function enqueueEvent(tx: SqlExecutor, event: EventEnvelope): Promise<void> {
  const envelope = envelopeSchema.parse(event);
  await executeSql(tx, 'INSERT INTO outbox (id, type, payload) VALUES (?, ?, ?)', envelope.id, envelope.type, JSON.stringify(envelope));
}

/** An event waiting in the outbox: its id and the envelope as JSON. */
export interface PendingEvent {
  id: string;
  payload: string;
}

/** What became of a batch: ids the broker confirmed, and the others with the error. */
export interface PublishOutcome {
  sent: string[];
  failed: { id: string; error: string }[];
}

/**
 * Where a service keeps its unsent events (a SQL table, a MongoDB collection). The relay is the same
 * for every store; only claiming and marking rows differ.
 */
export interface OutboxStore {
  /**
   * Claims up to `limit` unsent events, oldest first, so that no other relay publishes them meanwhile,
   * hands them to `publish`, then records its outcome: a sent event is never handed out again, a
   * failed one stays unsent with one more attempt and its last error.
   */
  relayBatch(limit: number, publish: (events: PendingEvent[]) => Promise<PublishOutcome>): Promise<PublishOutcome>;
  backlog(): Promise<{ count: number; oldestAgeSeconds: number }>;
}

/**
 * The `outbox` table of a MySQL service; rows of a batch are locked with `FOR UPDATE SKIP LOCKED` until
 * the broker confirmed them. At READ COMMITTED, because under InnoDB's default REPEATABLE READ that
 * locking read also locks the gap after the last row, and every transaction of the service that writes
 * an event would wait behind the batch's publish (measured: an outbox INSERT waited for the whole
 * batch; at READ COMMITTED it does not).
 */
export function sqlOutbox(db: RelayDatabase): OutboxStore {
  return {
    relayBatch: (limit, publish) =>
      db.transaction(async (tx) => {
        const rows = await querySql<PendingEvent>(tx, 'SELECT id, payload FROM outbox WHERE sent_at IS NULL ORDER BY seq LIMIT ? FOR UPDATE SKIP LOCKED', limit);
        if (rows.length === 0) return { sent: [], failed: [] };
        const outcome = await publish(rows);
        const { sent, failed } = outcome;
        if (sent.length > 0) {
          await executeSql(tx, `UPDATE outbox SET sent_at = NOW(3) WHERE id IN (${sent.map(() => '?').join(', ')})`, ...sent);
        }
        for (const failure of failed) {
          await executeSql(tx, 'UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?', failure.error, failure.id);
        }
        return outcome;
      }),
    async backlog() {
      const [row] = await querySql<{ count: bigint | number; age: unknown }>(
        db.executor,
        'SELECT COUNT(*) AS count, COALESCE(TIMESTAMPDIFF(MICROSECOND, MIN(created_at), NOW(3)), 0) / 1000000 AS age FROM outbox WHERE sent_at IS NULL',
      );
      return { count: Number(row?.count ?? 0), oldestAgeSeconds: Number(row?.age ?? 0) };
    },
  };
}

interface RelayCommonOptions {
  broker: Broker;
  log: Logger;
  metrics?: Metrics;
  /** How often an idle relay looks for rows that no wake() announced (e.g. written by another instance). */
  pollIntervalMs?: number;
  batchSize?: number;
  /** Capped exponential backoff while the broker fails. */
  backoff?: { initialMs: number; maxMs: number };
}

/** A MySQL service's relay over its `outbox` table. */
export interface OutboxRelayOptions extends RelayCommonOptions {
  db: RelayDatabase;
}

/** A relay over any other outbox store (e.g. mongoOutbox). */
export interface OutboxStoreRelayOptions extends RelayCommonOptions {
  store: OutboxStore;
}

interface BatchResult {
  selected: number;
  failed: number;
}

const lastErrorLength = 1000;

/**
 * Publishes committed outbox rows. Each batch is claimed by the store (SQL: one transaction that locks
 * its rows with `FOR UPDATE SKIP LOCKED`), so two relays never publish the same row; a row is marked
 * sent only after the broker's confirm, and a failed row stays unsent and is retried for as long as it
 * takes.
 */
export class OutboxRelay {
  private readonly options: RelayCommonOptions;
  private readonly store: OutboxStore;
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private readonly backoff: { initialMs: number; maxMs: number };
  private running: Promise<void> | undefined;
  private stopping = false;
  private consecutiveFailures = 0;
  /** Set by wake() while a batch runs: that batch may have missed the row just committed. */
  private wokenDuringBatch = false;
  private interruptSleep: (() => void) | undefined;

  constructor(options: OutboxRelayOptions | OutboxStoreRelayOptions) {
    this.options = options;
    this.store = 'store' in options ? options.store : sqlOutbox(options.db);
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.batchSize = options.batchSize ?? 100;
    this.backoff = options.backoff ?? { initialMs: 500, maxMs: 30_000 };
    // Every scrape of /metrics reads the backlog and the age of its oldest row afresh.
    options.metrics?.watchOutbox(() => this.backlog());
  }

  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.running = this.run();
  }

  /** Call after committing a transaction that enqueued events, so they go out now rather than at the next poll. */
  wake(): void {
    this.wokenDuringBatch = true;
    // While backing off from a failing broker, a wake must not turn the backoff into a busy loop.
    if (this.consecutiveFailures === 0) this.interruptSleep?.();
  }

  /** Lets the batch in flight finish (so its confirmed rows are marked sent), then returns. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.interruptSleep?.();
    await this.running;
    this.running = undefined;
  }

  backlog(): Promise<{ count: number; oldestAgeSeconds: number }> {
    return this.store.backlog();
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      this.wokenDuringBatch = false;
      let delayMs: number;
      try {
        const result = await this.relayBatch();
        if (result.failed > 0 && result.failed === result.selected) {
          // Nothing went through: the broker is failing as a whole, so back off.
          delayMs = this.nextBackoff();
        } else {
          this.consecutiveFailures = 0;
          // A row the broker refuses on its own is retried at the poll pace, without slowing the others.
          const more = result.failed === 0 && (result.selected === this.batchSize || this.wokenDuringBatch);
          delayMs = more ? 0 : this.pollIntervalMs;
        }
        await this.recordBacklog(result);
      } catch (error) {
        // The database itself failed (down, lock wait timeout): same backoff as a failing broker.
        delayMs = this.nextBackoff();
        this.options.log.error({ err: error, retryInMs: delayMs }, 'outbox relay batch failed');
      }
      if (delayMs > 0 && !this.stopping) await this.sleep(delayMs);
    }
  }

  private async relayBatch(): Promise<BatchResult> {
    const { log, metrics } = this.options;
    const { sent, failed } = await this.store.relayBatch(this.batchSize, async (rows) => {
      // All publishes of a batch are in flight together; the channel keeps their order.
      const outcomes = await Promise.allSettled(rows.map((row) => this.publishRow(row)));
      const outcome: PublishOutcome = { sent: [], failed: [] };
      outcomes.forEach((settled, index) => {
        const id = rows[index]!.id;
        if (settled.status === 'fulfilled') {
          outcome.sent.push(id);
          metrics?.eventsPublished.inc({ type: settled.value.type });
        } else {
          outcome.failed.push({ id, error: errorMessage(settled.reason).slice(0, lastErrorLength) });
        }
      });
      return outcome;
    });
    if (failed.length > 0) {
      metrics?.outboxPublishFailures.inc(failed.length);
      log.warn({ failed: failed.length, sent: sent.length, firstError: failed[0]!.error }, 'outbox rows not published; will retry');
    }
    return { selected: sent.length + failed.length, failed: failed.length };
  }

  private async publishRow(row: PendingEvent): Promise<EventEnvelope> {
    const event = envelopeSchema.parse(JSON.parse(row.payload));
    const { broker } = this.options;
    // A producer span under the request that committed the event; its traceparent rides in the message headers.
    await inSpan(`${event.type} publish`, SpanKind.PRODUCER, event.traceparent, messagingAttributes(broker.exchange, event, 'send'), async ({ traceparent }) => {
      await broker.publish(traceparent ? { ...event, traceparent } : event);
    });
    return event;
  }

  /** An idle, healthy relay knows its backlog is empty without asking the database again. */
  private async recordBacklog(result: BatchResult): Promise<void> {
    const { metrics } = this.options;
    if (!metrics) return;
    if (result.failed === 0 && result.selected < this.batchSize) {
      metrics.outboxBacklog.set(0);
      metrics.outboxOldestAgeSeconds.set(0);
      return;
    }
    const backlog = await this.backlog();
    metrics.outboxBacklog.set(backlog.count);
    metrics.outboxOldestAgeSeconds.set(backlog.oldestAgeSeconds);
  }

  private nextBackoff(): number {
    this.consecutiveFailures += 1;
    const { initialMs, maxMs } = this.backoff;
    return Math.min(maxMs, initialMs * 2 ** Math.min(this.consecutiveFailures - 1, 30));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.interruptSleep = undefined;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.interruptSleep = finish;
    });
  }
}
