import type { Logger } from '@x/kit';
import { Redis } from 'ioredis';

/** How long a Redis command may take before the login throttle counts in this process instead. */
const commandTimeoutMs = 500;

/**
 * auth's Redis (login-failure counters), which a login must never wait on: a command fails at once
 * while disconnected (no offline queue), and after `commandTimeoutMs` when Redis hangs or the network
 * drops packets, which would otherwise hold every login until TCP gives up. A command whose connection
 * drops fails rather than being sent again on the next one: the throttle has counted it in the
 * process by then, and a resend would count that failed login twice.
 */
export async function connectRedis(url: string, log: Logger): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
  });
  redis.on('error', (error: Error) => log.debug({ err: error }, 'redis connection error'));
  await redis.connect().catch((error: unknown) => log.warn({ err: error }, 'redis unreachable at start: login throttling counts in this process'));
  return redis;
}
