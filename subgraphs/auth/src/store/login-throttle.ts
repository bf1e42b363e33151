import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '@x/kit';

export interface ThrottleLimits {
  maxFailuresPerAccount: number;
  maxFailuresPerIp: number;
  windowSeconds: number;
}

export interface ThrottleVerdict {
  allowed: boolean;
  retryAfterSeconds: number;
}

/**
 * Counts failed logins per account and per IP in Redis, so every auth instance sees the same
 * counts. When Redis is unreachable it falls back to this process's own counters: throttling
 * stays on (per instance) instead of failing open, and logins keep working.
 */
export class LoginThrottle {
  private readonly local = new Map<string, { count: number; expiresAt: number }>();

  constructor(
    private readonly redis: Redis,
    private readonly limits: ThrottleLimits,
    private readonly log: Logger,
    /** Keeps platforms that share one Redis (tests, several environments) from sharing counters. */
    private readonly keyPrefix = 'auth:',
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
    await this.redis.del(key).catch((error: unknown) => this.degraded(error));
  }

  private async read(key: string): Promise<{ count: number; ttl: number }> {
    try {
      const [[, count], [, ttl]] = (await this.redis.multi().get(key).ttl(key).exec()) as [[null, string | null], [null, number]];
      return { count: Number(count ?? 0), ttl: Math.max(ttl, 1) };
    } catch (error) {
      this.degraded(error);
      const entry = this.liveLocal(key);
      return { count: entry?.count ?? 0, ttl: entry ? Math.ceil((entry.expiresAt - Date.now()) / 1000) : 0 };
    }
  }

  private async increment(key: string): Promise<void> {
    try {
      await this.redis.multi().incr(key).expire(key, this.limits.windowSeconds, 'NX').exec();
    } catch (error) {
      this.degraded(error);
      const entry = this.liveLocal(key) ?? { count: 0, expiresAt: Date.now() + this.limits.windowSeconds * 1000 };
      entry.count += 1;
      this.local.set(key, entry);
    }
  }

  private liveLocal(key: string) {
    const entry = this.local.get(key);
    if (entry && entry.expiresAt <= Date.now()) {
      this.local.delete(key);
      return undefined;
    }
    return entry;
  }

  private degraded(error: unknown): void {
    this.log.warn({ err: error }, 'login throttle: Redis unavailable, counting in this process');
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
