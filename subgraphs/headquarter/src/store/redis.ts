import { StartupError, type Logger } from '@x/kit';
import { Redis } from 'ioredis';

/**
 * A Redis client that fails a command at once while disconnected (the consumer then retries the event)
 * rather than queueing it; refuses to start when Redis does not answer, as the KPIs live there.
 */
export async function connectRedis(url: string, log: Logger): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
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
