import { closeRedis, connectRedis, createTokenVerifier, mariadbAdapter, mysqlUrlSetting, redisUrlSetting, runService, serve, service, startEventing } from '@x/kit';
import { z } from 'zod';
import { emailSchema } from './domain/credentials';
import { authContext } from './schema/context';
import { resolvers, typeDefs } from './schema/resolvers';
import { authRoutes } from './schema/rest';
import { AccountStore } from './store/accounts';
import { PrismaClient } from './store/generated/client';
import { Identity } from './store/identity';
import { LoginThrottle } from './store/login-throttle';
import { RefreshTokens } from './store/refresh-tokens';
import { SigningKeys } from './store/signing-keys';

const seconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const authConfig = {
  DATABASE_URL: mysqlUrlSetting('x_auth'),
  REDIS_URL: redisUrlSetting(),
  ACCESS_TOKEN_TTL_SECONDS: seconds(900),
  REFRESH_TOKEN_TTL_SECONDS: seconds(30 * 24 * 3600),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().positive().default(5),
  LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().positive().default(50),
  LOGIN_FAILURE_WINDOW_SECONDS: seconds(900),
  /** Prefix of auth's Redis keys, so platforms sharing one Redis keep their own login counters. */
  AUTH_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits and _.:- only').default('auth:'),
  /** The first hq_admin: created on start when no account has that role yet. */
  HQ_ADMIN_EMAIL: emailSchema.optional(),
  HQ_ADMIN_PASSWORD: z.string().min(10).optional(),
};

void runService(service('auth'), authConfig, async (runtime) => {
  const { config, log, lifecycle } = runtime;
  const db = new PrismaClient({ adapter: mariadbAdapter(config.DATABASE_URL) });
  lifecycle.add('database', () => db.$disconnect());
  // A failed login is counted in this process when Redis does not answer; resending the command after a
  // reconnect would count it twice.
  const redis = await connectRedis(config.REDIS_URL, { log, fallbackAtStart: 'login throttling counts in this process', resendAfterReconnect: false });
  lifecycle.add('redis', () => closeRedis(redis));

  const keys = new SigningKeys(db);
  await keys.load();
  const { broker, relay } = await startEventing(runtime, { db, transaction: (work) => db.$transaction(work) });
  const accounts = new AccountStore(db, relay);
  const identity = new Identity(
    accounts,
    new RefreshTokens(db, config.REFRESH_TOKEN_TTL_SECONDS),
    keys,
    new LoginThrottle(
      redis,
      {
        maxFailuresPerAccount: config.LOGIN_MAX_FAILURES_PER_ACCOUNT,
        maxFailuresPerIp: config.LOGIN_MAX_FAILURES_PER_IP,
        windowSeconds: config.LOGIN_FAILURE_WINDOW_SECONDS,
      },
      log,
      config.AUTH_REDIS_PREFIX,
    ),
    {
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
    },
  );
  if (config.HQ_ADMIN_EMAIL && config.HQ_ADMIN_PASSWORD) {
    const outcome = await identity.ensureFirstAdmin(config.HQ_ADMIN_EMAIL, config.HQ_ADMIN_PASSWORD, {
      syncPassword: config.NODE_ENV !== 'production',
    });
    const unusable = { 'email-taken': 'somebody else registered this e-mail: it was not made hq_admin', 'other-admin': 'an hq_admin exists under another e-mail' } as const;
    if (outcome === 'email-taken' || outcome === 'other-admin') log.warn({ outcome, email: config.HQ_ADMIN_EMAIL }, `first hq_admin: ${unusable[outcome]}`);
    else log.info({ outcome, email: config.HQ_ADMIN_EMAIL }, 'first hq_admin');
  }

  await serve(runtime, {
    // auth checks its own tokens against its keys in memory, not over HTTP to itself.
    verifyToken: createTokenVerifier(
      { jwksUrl: config.AUTH_JWKS_URL, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE },
      keys.verificationKey,
    ),
    readiness: { database: () => db.$queryRaw`SELECT 1`, broker: () => broker.ready() },
    subgraph: { typeDefs, resolvers, context: authContext(identity, accounts) },
    rest: authRoutes(identity, keys),
  });
});
