import { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly issues: readonly string[]) {
    super(`invalid configuration:\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Settings every process shares; each service extends this shape with its own variables. */
export const baseConfigShape = {
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().min(1).default('127.0.0.1'),
  AMQP_URL: z.url({ protocol: /^amqps?$/ }).default('amqp://guest:guest@127.0.0.1:5672'),
  EVENTS_EXCHANGE: z.string().min(1).default('x.events'),
  AUTH_JWKS_URL: z.url().default('http://127.0.0.1:3000/auth/.well-known/jwks.json'),
  JWT_ISSUER: z.string().min(1).default('x-auth'),
  JWT_AUDIENCE: z.string().min(1).default('x-platform'),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().positive().default(10_000),
  /** Set by `npm start` and test platforms: the process stops when this parent is gone. */
  SUPERVISOR_PID: z.coerce.number().int().positive().optional(),
  /** Proxies whose X-Forwarded-For is believed (proxy-addr syntax): the edge on loopback or a private network. */
  TRUST_PROXY: z.string().min(1).default('loopback,uniquelocal'),
};

export const portSetting = (fallback: number) => z.coerce.number().int().min(0).max(65_535).default(fallback);
export const mysqlUrlSetting = (database: string) =>
  z.url({ protocol: /^(mysql|mariadb)$/ }).default(`mysql://root@127.0.0.1:3306/${database}`);
export const redisUrlSetting = () => z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379');

/**
 * Parses the environment against a zod shape. Every wrong variable is named in one error, so a
 * misconfigured service stops at start with a message rather than failing on first use.
 */
export function loadConfig<S extends z.ZodRawShape>(
  shape: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<S>> {
  const result = z.object(shape).safeParse(env);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message} (got ${JSON.stringify(valueAt(env, issue.path))})`),
    );
  }
  return result.data;
}

function valueAt(env: NodeJS.ProcessEnv, path: readonly PropertyKey[]): unknown {
  const key = path[0];
  return typeof key === 'string' ? env[key] : undefined;
}
