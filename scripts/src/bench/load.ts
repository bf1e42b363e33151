import autocannon from 'autocannon';

export interface LoadTarget {
  url: string;
  body?: string;
  headers?: Record<string, string>;
  method?: 'GET' | 'POST';
}

export interface LoadFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  connections: number;
  durationSeconds: number;
}

/** Fixed-concurrency load with autocannon after a short warm-up (JIT, connection pools, plan caches). */
export async function load(target: LoadTarget, options: { connections: number; seconds: number; warmupSeconds?: number }): Promise<LoadFigures> {
  const base = {
    url: target.url,
    method: target.method ?? ('POST' as const),
    headers: { 'content-type': 'application/json', ...target.headers },
    ...(target.body === undefined ? {} : { body: target.body }),
    connections: options.connections,
  };
  if ((options.warmupSeconds ?? 1) > 0) await autocannon({ ...base, duration: options.warmupSeconds ?? 1 });
  const result = await autocannon({ ...base, duration: options.seconds });
  return {
    requestsPerSecond: round(result.requests.total / result.duration),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    connections: options.connections,
    durationSeconds: round(result.duration),
  };
}

export const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** Percentile of a sample (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
