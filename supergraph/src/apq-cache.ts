import type { KeyValueCache, KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';
import type { Logger } from '@x/kit';
import type { Redis } from 'ioredis';

/**
 * Apollo's KeyValueCache over Redis, for automatic persisted queries: every gateway replica knows a
 * query any of them has seen, so a client's hash-only GET works whichever replica answers it (and the
 * edge can cache those GETs). Redis down: a lookup misses (the client sends the full query again, as
 * APQ intends) and a store is skipped; neither fails the request.
 */
export class RedisKeyValueCache implements KeyValueCache<string> {
  private warned = false;

  constructor(
    private readonly redis: Redis,
    private readonly log: Logger,
    private readonly prefix = 'x:gateway:',
  ) {}

  async get(key: string): Promise<string | undefined> {
    try {
      return (await this.redis.get(this.prefix + key)) ?? undefined;
    } catch (error) {
      this.warn(error);
      return undefined;
    }
  }

  async set(key: string, value: string, options?: KeyValueCacheSetOptions): Promise<void> {
    try {
      if (options?.ttl) await this.redis.set(this.prefix + key, value, 'EX', Math.ceil(options.ttl));
      else await this.redis.set(this.prefix + key, value);
    } catch (error) {
      this.warn(error);
    }
  }

  async delete(key: string): Promise<boolean | void> {
    try {
      await this.redis.del(this.prefix + key);
    } catch (error) {
      this.warn(error);
    }
  }

  private warn(error: unknown): void {
    if (this.warned) return;
    this.warned = true;
    this.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'persisted queries: Redis unavailable, clients resend full queries');
  }
}
