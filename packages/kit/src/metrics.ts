import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Outbox rows not yet confirmed by the broker, and the age of the oldest. */
export interface OutboxBacklog {
  count: number;
  oldestAgeSeconds: number;
}

/**
 * Shares one in-flight sample between the gauges that read it on the same scrape (prom-client
 * collects metrics concurrently), so a scrape costs one query.
 */
function sharedSample<T>(read: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= read().finally(() => {
      pending = undefined;
    });
    return pending;
  };
}

/** One registry per process, so tests that start several services in one process stay apart. */
export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });

  let outbox: (() => Promise<OutboxBacklog>) | undefined;
  const queues = new Map<string, () => Promise<{ ready: number; deadLettered: number }>>();
  const sampleOutbox = async (): Promise<OutboxBacklog | undefined> => {
    try {
      return outbox ? await outbox() : undefined;
    } catch {
      // The database is down: the gauges keep their last value; /ready says what is wrong.
      return undefined;
    }
  };

  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: latencyBuckets,
      registers: [registry],
    }),
    graphqlDuration: new Histogram({
      name: 'graphql_operation_duration_seconds',
      help: 'GraphQL operation latency by operation name, type and outcome (ok, error)',
      labelNames: ['operation', 'type', 'outcome'] as const,
      buckets: latencyBuckets,
      registers: [registry],
    }),
    subgraphFetchDuration: new Histogram({
      name: 'gateway_subgraph_fetch_duration_seconds',
      help: 'Latency of the gateway\'s fetches to each subgraph, by outcome (ok, error)',
      labelNames: ['subgraph', 'outcome'] as const,
      buckets: latencyBuckets,
      registers: [registry],
    }),
    eventsPublished: new Counter({ name: 'events_published_total', help: 'Events confirmed by the broker', labelNames: ['type'] as const, registers: [registry] }),
    eventsConsumed: new Counter({
      name: 'events_consumed_total',
      help: 'Events handled by consumers, by outcome (processed, duplicate, retried, dead-lettered)',
      labelNames: ['queue', 'type', 'outcome'] as const,
      registers: [registry],
    }),
    outboxBacklog: new Gauge({
      name: 'outbox_backlog_events',
      help: 'Outbox rows not yet confirmed by the broker',
      registers: [registry],
      async collect() {
        const backlog = await sampleOutbox();
        if (backlog) this.set(backlog.count);
      },
    }),
    outboxOldestAgeSeconds: new Gauge({
      name: 'outbox_oldest_unsent_age_seconds',
      help: 'Age of the oldest outbox row not yet confirmed by the broker',
      registers: [registry],
      async collect() {
        const backlog = await sampleOutbox();
        if (backlog) this.set(backlog.oldestAgeSeconds);
      },
    }),
    outboxPublishFailures: new Counter({ name: 'outbox_publish_failures_total', help: 'Outbox rows the broker did not confirm (retried)', registers: [registry] }),
    consumerQueueMessages: new Gauge({
      name: 'consumer_queue_messages',
      help: 'Messages waiting in a consumer\'s queue (kind=ready: its lag) or parked in its dead-letter queue (kind=dead-lettered)',
      labelNames: ['queue', 'kind'] as const,
      registers: [registry],
      async collect() {
        await Promise.all(
          [...queues].map(async ([queue, depth]) => {
            try {
              const { ready, deadLettered } = await depth();
              this.set({ queue, kind: 'ready' }, ready);
              this.set({ queue, kind: 'dead-lettered' }, deadLettered);
            } catch {
              // The channel is reconnecting: keep the last value.
            }
          }),
        );
      },
    }),
    /** The outbox relay reports its backlog here; the gauges read it on every scrape. */
    watchOutbox(read: () => Promise<OutboxBacklog>): void {
      outbox = sharedSample(read);
    },
    /** A consumer reports its queue depths here; the gauge reads them on every scrape. */
    watchQueue(queue: string, depth: () => Promise<{ ready: number; deadLettered: number }>): () => void {
      queues.set(queue, depth);
      return () => queues.delete(queue);
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
