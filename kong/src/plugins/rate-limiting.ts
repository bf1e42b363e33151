import { createHash } from 'node:crypto';
import { z } from 'zod';
import { CounterStore, RedisConnections } from '../counters';
import { definePlugin, headerValue, resolveVaultReference, type PluginEnvironment, type PluginExit, type ProxyContext } from './plugin';

const periods = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const;
type Period = (typeof periods)[number];

/** Kong's window lengths in seconds (a month is 30 days, a year 365, as in Kong's EXPIRATION table). */
const windowSeconds: Record<Period, number> = { second: 1, minute: 60, hour: 3_600, day: 86_400, month: 2_592_000, year: 31_536_000 };

const limit = z.number().positive().optional();

const redisSchema = z
  .strictObject({
    host: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65_535).default(6379),
    timeout: z.number().int().positive().default(2000),
    username: z.string().min(1).optional(),
    /** May be a `{vault://env/name}` reference, as Kong's env vault resolves it. */
    password: z.string().min(1).optional(),
    database: z.number().int().min(0).default(0),
    ssl: z.literal(false, { error: 'TLS to Redis is not implemented by the local edge' }).default(false),
  })
  .prefault({});

const configSchema = z
  .strictObject({
    second: limit,
    minute: limit,
    hour: limit,
    day: limit,
    month: limit,
    year: limit,
    limit_by: z.enum(['consumer', 'credential', 'ip', 'service', 'header', 'path']).default('consumer'),
    header_name: z.string().min(1).optional(),
    path: z.string().startsWith('/').optional(),
    policy: z.enum(['local', 'redis']).default('local'),
    fault_tolerant: z.boolean().default(true),
    redis: redisSchema,
    hide_client_headers: z.boolean().default(false),
    error_code: z.number().int().positive().default(429),
    error_message: z.string().default('API rate limit exceeded'),
    sync_rate: z.number().default(-1),
  })
  .superRefine((config, context) => {
    const configured = periods.filter((period) => config[period] !== undefined);
    if (configured.length === 0) context.addIssue({ code: 'custom', message: 'at least one of second, minute, hour, day, month, year is required' });
    for (let i = 0; i < periods.length; i += 1) {
      for (let j = i + 1; j < periods.length; j += 1) {
        const lower = config[periods[i]!];
        const upper = config[periods[j]!];
        if (lower !== undefined && upper !== undefined && upper < lower) {
          context.addIssue({ code: 'custom', path: [periods[j]!], message: `the limit for ${periods[j]} cannot be lower than the limit for ${periods[i]}` });
        }
      }
    }
    if (config.policy === 'redis' && !config.redis.host) context.addIssue({ code: 'custom', path: ['redis', 'host'], message: 'required with policy redis' });
    if (config.policy !== 'redis' && config.sync_rate !== -1) context.addIssue({ code: 'custom', path: ['sync_rate'], message: 'sync_rate can only be used with the redis policy' });
    if (config.sync_rate !== -1 && config.sync_rate < 0.02) context.addIssue({ code: 'custom', path: ['sync_rate'], message: 'sync_rate must be greater than 0.02, or -1 to disable' });
    if (config.limit_by === 'header' && !config.header_name) context.addIssue({ code: 'custom', path: ['header_name'], message: 'required when limit_by is header' });
    if (config.limit_by === 'path' && !config.path) context.addIssue({ code: 'custom', path: ['path'], message: 'required when limit_by is path' });
  });

type RateLimitConfig = z.output<typeof configSchema>;

const connections = new WeakMap<PluginEnvironment, RedisConnections>();

function redisConnections(environment: PluginEnvironment): RedisConnections {
  let found = connections.get(environment);
  if (!found) {
    const created = new RedisConnections();
    connections.set(environment, created);
    environment.onClose(() => created.close());
    found = created;
  }
  return found;
}

/** Start of the period containing `nowMs`, in UTC as Kong's timestamps. */
function periodStart(period: Period, nowMs: number): number {
  const date = new Date(nowMs);
  switch (period) {
    case 'second':
      return Math.floor(nowMs / 1000) * 1000;
    case 'minute':
      return Math.floor(nowMs / 60_000) * 60_000;
    case 'hour':
      return Math.floor(nowMs / 3_600_000) * 3_600_000;
    case 'day':
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
    case 'month':
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
    case 'year':
      return Date.UTC(date.getUTCFullYear(), 0, 1);
  }
}

function identifierOf(config: RateLimitConfig, context: ProxyContext): string {
  const fallback = context.clientIp;
  switch (config.limit_by) {
    case 'consumer':
      return context.authenticated?.consumer.username ?? context.authenticated?.credential ?? fallback;
    case 'credential':
      return context.authenticated?.credential ?? fallback;
    case 'service':
      return context.route?.service.name ?? fallback;
    case 'header': {
      // Header values (bearer tokens) are long and secret: the key holds their digest.
      const value = headerValue(context.request.headers[config.header_name!.toLowerCase()]);
      return value ? createHash('sha256').update(value).digest('base64url') : fallback;
    }
    case 'path':
      return context.request.url.split('?')[0] === config.path ? config.path : fallback;
    case 'ip':
      return fallback;
  }
}

/**
 * Kong's rate-limiting: fixed windows per identifier (consumer, credential, IP, header, …), per route
 * and service as in Kong's counter keys. Kong's headers: `X-RateLimit-Limit-<Period>`,
 * `X-RateLimit-Remaining-<Period>`, and `RateLimit-Limit`/`-Remaining`/`-Reset` for the window
 * closest to its limit; over a limit, `Retry-After` and `error_code` (429). With `policy: redis` the
 * counters are shared by every edge through Redis, in batches every `sync_rate` seconds.
 */
export const rateLimiting = definePlugin('rate-limiting', 910, configSchema, (config, environment) => {
  const limits = periods.flatMap((period) => (config[period] !== undefined ? [[period, config[period]] as const] : []));
  const redisHost = config.redis.host;
  const redis =
    config.policy === 'redis' && redisHost
      ? redisConnections(environment).get({
          address: environment.resolveHost(redisHost, config.redis.port),
          username: config.redis.username,
          password: config.redis.password ? resolveVaultReference(config.redis.password) : undefined,
          database: config.redis.database,
          timeoutMs: config.redis.timeout,
        })
      : undefined;
  const store = new CounterStore({ redis, syncRateSeconds: config.sync_rate, timeoutMs: config.redis.timeout, log: environment.log, now: environment.now });
  environment.onClose(async () => {
    store.close();
    await store.sync();
  });
  const responseHeaders = new WeakMap<ProxyContext, Record<string, string>>();

  return {
    async access(context): Promise<PluginExit | undefined> {
      const now = environment.now();
      const identifier = identifierOf(config, context);
      const scope = `${context.route?.name ?? ''}:${context.route?.service.name ?? ''}`;
      const usages = await Promise.all(
        limits.map(async ([period, max]) => {
          const start = periodStart(period, now);
          const key = `${environment.redisKeyPrefix}ratelimit:${scope}:${identifier}:${start}:${period}`;
          const used = await store.usage(key, windowSeconds[period], start + windowSeconds[period] * 1000);
          return { period, max, start, key, remaining: max - used };
        }),
      );
      if (redis && store.unavailable && !config.fault_tolerant) {
        return { status: 500, error: { code: 'INTERNAL_SERVER_ERROR', message: 'An unexpected error occurred' } };
      }
      const stop = usages.find((usage) => usage.remaining <= 0);

      const headers: Record<string, string> = {};
      let closest: { max: number; remaining: number; window: number; reset: number } | undefined;
      for (const usage of usages) {
        const remaining = Math.max(0, usage.remaining - (!stop || stop === usage ? 1 : 0));
        const window = windowSeconds[usage.period];
        if (!closest || remaining < closest.remaining || (remaining === closest.remaining && window > closest.window)) {
          closest = { max: usage.max, remaining, window, reset: Math.max(1, window - Math.floor((now - usage.start) / 1000)) };
        }
        headers[`x-ratelimit-limit-${usage.period}`] = String(usage.max);
        headers[`x-ratelimit-remaining-${usage.period}`] = String(remaining);
      }
      if (closest) {
        headers['ratelimit-limit'] = String(closest.max);
        headers['ratelimit-remaining'] = String(closest.remaining);
        headers['ratelimit-reset'] = String(closest.reset);
      }
      const shown = config.hide_client_headers ? {} : headers;

      if (stop) {
        return {
          status: config.error_code,
          headers: { ...shown, 'retry-after': String(closest?.reset ?? 1) },
          error: { code: config.error_code === 429 ? 'TOO_MANY_REQUESTS' : 'RATE_LIMITED', message: config.error_message },
        };
      }
      for (const usage of usages) store.increment(usage.key);
      responseHeaders.set(context, shown);
      return undefined;
    },
    headerFilter(context, reply) {
      const headers = responseHeaders.get(context);
      if (!headers) return;
      for (const [name, value] of Object.entries(headers)) reply.header(name, value);
    },
  };
});
