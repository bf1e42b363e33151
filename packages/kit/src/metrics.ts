import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process, so tests that start several services in one process stay apart. */
export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    eventsPublished: new Counter({ name: 'events_published_total', help: 'Events confirmed by the broker', labelNames: ['type'] as const, registers: [registry] }),
    eventsConsumed: new Counter({
      name: 'events_consumed_total',
      help: 'Events handled by consumers, by outcome',
      labelNames: ['queue', 'type', 'outcome'] as const,
      registers: [registry],
    }),
    outboxBacklog: new Gauge({ name: 'outbox_backlog_events', help: 'Outbox rows not yet confirmed by the broker', registers: [registry] }),
    outboxOldestAgeSeconds: new Gauge({
      name: 'outbox_oldest_unsent_age_seconds',
      help: 'Age of the oldest outbox row not yet confirmed by the broker',
      registers: [registry],
    }),
    outboxPublishFailures: new Counter({ name: 'outbox_publish_failures_total', help: 'Outbox rows the broker did not confirm (retried)', registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
