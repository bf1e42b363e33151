import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { errorMessage, type Broker } from './broker';
import { envelopeSchema, type EventEnvelope } from './envelope';
import type { SqlExecutor, TransactionRunner } from './sql';

/** Writes the event in the caller's transaction, so it is committed exactly when the state change is. */
export async function enqueueEvent(tx: SqlExecutor, event: EventEnvelope): Promise<void> {
  const envelope = envelopeSchema.parse(event);
  await tx.$executeRawUnsafe('INSERT INTO outbox (id, type, payload) VALUES (?, ?, ?)', envelope.id, envelope.type, JSON.stringify(envelope));
}

export interface OutboxRelayOptions {
  db: SqlExecutor;
  /** Its transaction timeout must exceed the broker's publish timeout, or a slow confirm aborts the batch. */
  transaction: TransactionRunner;
  broker: Broker;
  log: Logger;
  metrics?: Metrics;
  /** How often an idle relay looks for rows that no wake() announced (e.g. written by another instance). */
  pollIntervalMs?: number;
  batchSize?: number;
  /** Capped exponential backoff while the broker fails. */
  backoff?: { initialMs: number; maxMs: number };
}

interface OutboxRow {
  id: string;
  payload: string;
}

interface BatchResult {
  selected: number;
  failed: number;
}

const lastErrorLength = 1000;

/**
 * Publishes committed outbox rows. Each batch runs in one transaction that locks its rows with
 * `FOR UPDATE SKIP LOCKED`, so two relays never publish the same row; a row is marked sent only after
 * the broker's confirm, and a failed row stays unsent and is retried for as long as it takes.
 */
export class OutboxRelay {
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private readonly backoff: { initialMs: number; maxMs: number };
  private running: Promise<void> | undefined;
  private stopping = false;
  private consecutiveFailures = 0;
  /** Set by wake() while a batch runs: that batch may have missed the row just committed. */
  private wokenDuringBatch = false;
  private interruptSleep: (() => void) | undefined;

  constructor(private readonly options: OutboxRelayOptions) {
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.batchSize = options.batchSize ?? 100;
    this.backoff = options.backoff ?? { initialMs: 500, maxMs: 30_000 };
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

  async backlog(): Promise<{ count: number; oldestAgeSeconds: number }> {
    const [row] = await this.options.db.$queryRawUnsafe<{ count: bigint | number; age: unknown }[]>(
      'SELECT COUNT(*) AS count, COALESCE(TIMESTAMPDIFF(MICROSECOND, MIN(created_at), NOW(3)), 0) / 1000000 AS age FROM outbox WHERE sent_at IS NULL',
    );
    return { count: Number(row?.count ?? 0), oldestAgeSeconds: Number(row?.age ?? 0) };
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
    return this.options.transaction(async (tx) => {
      const rows = await tx.$queryRawUnsafe<OutboxRow[]>(
        'SELECT id, payload FROM outbox WHERE sent_at IS NULL ORDER BY seq LIMIT ? FOR UPDATE SKIP LOCKED',
        this.batchSize,
      );
      if (rows.length === 0) return { selected: 0, failed: 0 };

      // All publishes of a batch are in flight together; the channel keeps their order.
      const outcomes = await Promise.allSettled(rows.map((row) => this.publishRow(row)));
      const sent: string[] = [];
      const failures: { id: string; error: string }[] = [];
      outcomes.forEach((outcome, index) => {
        const id = rows[index]!.id;
        if (outcome.status === 'fulfilled') {
          sent.push(id);
          metrics?.eventsPublished.inc({ type: outcome.value.type });
        } else {
          failures.push({ id, error: errorMessage(outcome.reason).slice(0, lastErrorLength) });
        }
      });

      if (sent.length > 0) {
        await tx.$executeRawUnsafe(`UPDATE outbox SET sent_at = NOW(3) WHERE id IN (${sent.map(() => '?').join(', ')})`, ...sent);
      }
      for (const failure of failures) {
        await tx.$executeRawUnsafe('UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?', failure.error, failure.id);
      }
      if (failures.length > 0) {
        metrics?.outboxPublishFailures.inc(failures.length);
        log.warn({ failed: failures.length, sent: sent.length, firstError: failures[0]!.error }, 'outbox rows not published; will retry');
      }
      return { selected: rows.length, failed: failures.length };
    });
  }

  private async publishRow(row: OutboxRow): Promise<EventEnvelope> {
    const event = envelopeSchema.parse(JSON.parse(row.payload));
    await this.options.broker.publish(event);
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
