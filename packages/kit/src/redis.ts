import { Redis } from 'ioredis';
import { StartupError } from './errors';
import type { Logger } from './logger';

/** How long a command may take before it fails (Redis on the same network answers in a millisecond). */
const commandTimeoutMs = 500;

export interface RedisConnectOptions {
  log: Logger;
  /**
   * Without it, a Redis that does not answer at start stops the service (its data lives there). With
   * it, the service logs this and starts anyway, working without Redis until the client reconnects.
   */
  fallbackAtStart?: string;
  /**
   * Send again, on the next connection, a command whose connection dropped (ioredis' default). Off
   * where the caller has already counted the failure itself and a resend would count it twice.
   */
  resendAfterReconnect?: boolean;
}

/**
 * The services' Redis client, which a request or an event never waits on: a command fails at once
 * while disconnected (no offline queue) and after 500 ms when Redis hangs or the network drops
 * packets, which would otherwise hold the caller until TCP gives up. The caller falls back or retries.
 */
export async function connectRedis(url: string, options: RedisConnectOptions): Promise<Redis> {
  const { log, fallbackAtStart } = options;
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: options.resendAfterReconnect ?? true,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
  });
  redis.on('error', (error: Error) => log.debug({ err: error }, 'redis connection error'));
  try {
    await redis.connect();
  } catch (error) {
    if (fallbackAtStart !== undefined) {
      log.warn({ err: error }, `redis unreachable at start: ${fallbackAtStart}`);
      return redis;
    }
    redis.disconnect();
    throw new StartupError(`Redis does not answer at ${new URL(url).host} (REDIS_URL): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return redis;
}

export async function closeRedis(redis: Redis): Promise<void> {
  await redis.quit().catch(() => redis.disconnect());
}
