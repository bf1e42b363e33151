import { once } from 'node:events';
import { Breaker, type Logger } from '@x/kit';
import { Redis } from 'ioredis';

export interface RedisSettings {
  /** host:port */
  address: string;
  username?: string;
  password?: string;
  database: number;
  timeoutMs: number;
}

/** One connection per Redis server and database, shared by the plugins of one edge. */
export class RedisConnections {
  private readonly clients = new Map<string, Redis>();

  get(settings: RedisSettings): Redis {
    const id = JSON.stringify(settings);
    let client = this.clients.get(id);
    if (!client) {
      const [host, port] = settings.address.split(':');
      client = new Redis({
        host,
        port: Number(port),
        username: settings.username,
        password: settings.password,
        db: settings.database,
        connectTimeout: settings.timeoutMs,
        commandTimeout: settings.timeoutMs,
        // A Redis that is down must not hold requests: commands fail at once and the caller falls back.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: (times) => Math.min(times * 200, 2_000),
      });
      // Failures surface through the commands; the connection's own events would only repeat them.
      client.on('error', () => {});
      this.clients.set(id, client);
    }
    return client;
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((client) => client.quit().catch(() => client.disconnect())));
    this.clients.clear();
  }
}

async function whenReady(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return;
  if (client.status !== 'connecting' && client.status !== 'connect' && client.status !== 'wait') return;
  await Promise.race([once(client, 'ready'), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
}

interface Counter {
  /** The total Redis last reported (other edges' requests included). */
  base: number;
  /** Counted here and not yet sent. */
  pending: number;
  /** Sent, waiting for Redis's answer. */
  inFlight: number;
  ttlSeconds: number;
  expiresAtMs: number;
}

export interface CounterStoreOptions {
  /** Absent: counters live in this process only (Kong's `local` policy). */
  redis?: Redis;
  /** Seconds between syncs to Redis; -1 sends every increment at once (Kong's default). */
  syncRateSeconds: number;
  timeoutMs: number;
  log: Logger;
  now: () => number;
  /** After Redis failed, the edge counts alone for its cool-down instead of each request waiting on Redis. */
  redisBreaker?: Breaker;
}

/**
 * Rate-limit counters kept in the edge's memory and synced to Redis in batches (Kong's `sync_rate`):
 * each sync adds what this edge counted since the last one (INCRBY) and learns the total of all edges.
 * Redis down: the edge keeps counting on its own and lets requests through (fail open), logs it once,
 * and sends what it counted meanwhile when Redis is back. After a failure Redis is skipped for the breaker's
 * cool-down, so a Redis that hangs does not hold every request that reads a new window.
 */
export class CounterStore {
  private readonly counters = new Map<string, Counter>();
  private timer: NodeJS.Timeout | undefined;
  private redisDown = false;
  private readonly redisBreaker: Breaker;

  constructor(private readonly options: CounterStoreOptions) {
    this.redisBreaker = options.redisBreaker ?? new Breaker();
    if (options.redis && options.syncRateSeconds > 0) {
      this.timer = setInterval(() => void this.sync(), options.syncRateSeconds * 1000);
      this.timer.unref();
    }
  }

  /** Whether the last exchange with Redis failed (for `fault_tolerant: false`). */
  get unavailable(): boolean {
    return this.redisDown;
  }

  async usage(key: string, ttlSeconds: number, expiresAtMs: number): Promise<number> {
    const { redis } = this.options;
    let counter = this.counters.get(key);
    if (counter && counter.expiresAtMs <= this.options.now() && counter.pending === 0 && counter.inFlight === 0) {
      this.counters.delete(key);
      counter = undefined;
    }
    // A key this edge has not seen yet (or every time, without batching) is read from Redis.
    if (redis && (!counter || this.options.syncRateSeconds <= 0)) {
      const read = counter ?? { base: 0, pending: 0, inFlight: 0, ttlSeconds, expiresAtMs };
      counter = read;
      this.counters.set(key, read);
      await this.redisBreaker.run(
        async () => {
          await whenReady(redis, this.options.timeoutMs);
          const total = await redis.get(key);
          read.base = Number(total ?? 0);
          this.markUp();
        },
        (error) => this.markDown(error),
      );
    }
    if (!counter) {
      counter = { base: 0, pending: 0, inFlight: 0, ttlSeconds, expiresAtMs };
      this.counters.set(key, counter);
    }
    return counter.base + counter.inFlight + counter.pending;
  }

  increment(key: string): void {
    const counter = this.counters.get(key);
    if (!counter) return;
    counter.pending += 1;
    if (this.options.redis && this.options.syncRateSeconds <= 0) void this.sync([key]);
  }

  /** Sends pending counts and refreshes totals; runs every sync_rate seconds. */
  async sync(keys: Iterable<string> = this.counters.keys()): Promise<void> {
    const { redis } = this.options;
    if (!redis) return;
    const now = this.options.now();
    const batch: { key: string; counter: Counter; sent: number }[] = [];
    for (const key of keys) {
      const counter = this.counters.get(key);
      if (!counter) continue;
      if (counter.expiresAtMs <= now && counter.pending === 0 && counter.inFlight === 0) {
        this.counters.delete(key);
        continue;
      }
      const sent = counter.pending;
      counter.pending = 0;
      counter.inFlight += sent;
      batch.push({ key, counter, sent });
    }
    if (batch.length === 0) return;
    await this.redisBreaker.run(
      async () => {
        const pipeline = redis.pipeline();
        for (const { key, counter, sent } of batch) {
          if (sent > 0) pipeline.incrby(key, sent).expire(key, counter.ttlSeconds);
          else pipeline.get(key);
        }
        const results = await pipeline.exec();
        if (!results) throw new Error('pipeline was not executed');
        let index = 0;
        for (const { counter, sent } of batch) {
          const [error, total] = results[index] ?? [new Error('no answer')];
          index += sent > 0 ? 2 : 1;
          if (error) throw error;
          counter.inFlight -= sent;
          counter.base = Number(total ?? 0);
        }
        this.markUp();
      },
      (error) => {
        for (const { counter, sent } of batch) {
          if (counter.inFlight >= sent) {
            counter.inFlight -= sent;
            counter.pending += sent;
          }
        }
        this.markDown(error);
      },
    );
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private markDown(error: unknown): void {
    if (this.redisDown) return;
    this.redisDown = true;
    this.options.log.warn(
      { err: error instanceof Error ? error.message : String(error) },
      'rate-limiting: Redis unavailable, counting in this edge only and letting requests through (fail open)',
    );
  }

  private markUp(): void {
    if (!this.redisDown) return;
    this.redisDown = false;
    this.options.log.info('rate-limiting: Redis reachable again, counters shared again');
  }
}
