import { StartupError, type Logger } from '@x/kit';
import { Redis } from 'ioredis';

/** How long a command may take before it fails (Redis on the same network answers in a millisecond). */
const commandTimeoutMs = 500;

/**
 * A Redis client that fails a command at once while disconnected (the consumer then retries the event)
 * rather than queueing it, and after `commandTimeoutMs` when Redis hangs or the network drops packets,
 * which would otherwise hold the event's SQL transaction and the KPI queries until TCP gives up;
 * refuses to start when Redis does not answer, as the KPIs live there.
 */
export async function connectRedis(url: string, log: Logger): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: commandTimeoutMs });
  redis.on('error', (error: Error) => log.debug({ err: error }, 'redis connection error'));
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new StartupError(`Redis does not answer at ${new URL(url).host} (REDIS_URL): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return redis;
}

export async function closeRedis(redis: Redis): Promise<void> {
  await redis.quit().catch(() => redis.disconnect());
}
