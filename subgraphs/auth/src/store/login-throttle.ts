import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Breaker, type Logger } from '@x/kit';

export interface ThrottleLimits {
  maxFailuresPerAccount: number;
  maxFailuresPerIp: number;
  windowSeconds: number;
}

export interface ThrottleVerdict {
  allowed: boolean;
  retryAfterSeconds: number;
}

interface LocalCount {
  count: number;
  expiresAt: number;
}

/**
 * Counts failed logins per account and per IP in Redis, so every auth instance sees the same
 * counts. When Redis is unreachable it falls back to this process's own counters: throttling
 * stays on (per instance) instead of failing open, and logins keep working. Once Redis answers
 * again, what was counted here meanwhile is added to Redis's count, so a lock taken during the
 * outage does not lift when Redis comes back. After a failure Redis is skipped for the breaker's
 * cool-down, so a Redis that hangs costs one login a timeout per cool-down, not every login.
 */
export class LoginThrottle {
  private readonly local = new Map<string, LocalCount>();
  private redisDown = false;

  constructor(
    private readonly redis: Redis,
    private readonly limits: ThrottleLimits,
    private readonly log: Logger,
    /** Keeps platforms that share one Redis (tests, several environments) from sharing counters. */
    private readonly keyPrefix = 'auth:',
    /** After Redis failed, logins count in this process for its cool-down instead of each waiting on Redis. */
    private readonly redisBreaker = new Breaker(),
  ) {}

  async check(email: string, ip: string): Promise<ThrottleVerdict> {
    const [account, address] = await Promise.all([this.read(this.accountKey(email)), this.read(this.ipKey(ip))]);
    const blocked = [
      account.count >= this.limits.maxFailuresPerAccount ? account.ttl : 0,
      address.count >= this.limits.maxFailuresPerIp ? address.ttl : 0,
    ];
    const retryAfterSeconds = Math.max(...blocked);
    return { allowed: retryAfterSeconds === 0, retryAfterSeconds };
  }

  async recordFailure(email: string, ip: string): Promise<void> {
    await Promise.all([this.increment(this.accountKey(email)), this.increment(this.ipKey(ip))]);
  }

  async recordSuccess(email: string): Promise<void> {
    const key = this.accountKey(email);
    this.local.delete(key);
    await this.redisBreaker.run(
      async () => {
        await this.redis.del(key);
        this.recovered();
      },
      (error) => this.degraded(error),
    );
  }

  private async read(key: string): Promise<{ count: number; ttl: number }> {
    // Taken out before the await, so two reads of one key never hand the same failures to Redis twice.
    const unsynced = this.liveLocal(key);
    this.local.delete(key);
    return this.redisBreaker.run(
      async () => {
        const transaction = this.redis.multi();
        if (unsynced) transaction.incrby(key, unsynced.count).expire(key, secondsUntil(unsynced.expiresAt), 'NX');
        const results = await transaction.get(key).ttl(key).exec();
        if (!results) throw new Error('Redis discarded the transaction');
        const [[countError, count], [ttlError, ttl]] = results.slice(-2) as [[Error | null, string | null], [Error | null, number]];
        if (countError ?? ttlError) throw countError ?? ttlError;
        this.recovered();
        return { count: Number(count ?? 0), ttl: Math.max(ttl, 1) };
      },
      (error) => {
        // A command that timed out may still have reached Redis: counting those failures twice errs towards locking.
        if (unsynced) this.addLocal(key, unsynced.count, unsynced.expiresAt);
        this.degraded(error);
        const entry = this.liveLocal(key);
        return { count: entry?.count ?? 0, ttl: entry ? secondsUntil(entry.expiresAt) : 0 };
      },
    );
  }

  private async increment(key: string): Promise<void> {
    await this.redisBreaker.run(
      async () => {
        await this.redis.multi().incr(key).expire(key, this.limits.windowSeconds, 'NX').exec();
        this.recovered();
      },
      (error) => {
        this.degraded(error);
        this.addLocal(key, 1, Date.now() + this.limits.windowSeconds * 1000);
      },
    );
  }

  private addLocal(key: string, count: number, expiresAt: number): void {
    const entry = this.liveLocal(key);
    if (entry) entry.count += count;
    else this.local.set(key, { count, expiresAt });
  }

  private liveLocal(key: string): LocalCount | undefined {
    const entry = this.local.get(key);
    if (entry && entry.expiresAt <= Date.now()) {
      this.local.delete(key);
      return undefined;
    }
    return entry;
  }

  private degraded(error: unknown): void {
    if (this.redisDown) return;
    this.redisDown = true;
    this.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'login throttle: Redis unavailable, counting in this process');
  }

  private recovered(): void {
    if (!this.redisDown) return;
    this.redisDown = false;
    this.log.info('login throttle: Redis reachable again, failures counted meanwhile go back to it');
  }

  // Keys hold a hash, not the address itself: no e-mail addresses sit in Redis.
  private accountKey(email: string): string {
    return `${this.keyPrefix}login-failures:account:${sha256(email)}`;
  }

  private ipKey(ip: string): string {
    return `${this.keyPrefix}login-failures:ip:${ip}`;
  }
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

const secondsUntil = (instantMs: number) => Math.max(1, Math.ceil((instantMs - Date.now()) / 1000));
