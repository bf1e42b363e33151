import { createHash, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Breaker, connectRedis, createLogger } from '@x/kit';
import { startTcpProxy, type TcpProxy } from '../../../../test/support/tcp-proxy';
import { LoginThrottle } from './login-throttle';

/**
 * The login throttle against the real Redis behind a proxy that cuts it off: auth's own Redis client
 * (store/redis.ts), so a command that would hang shows here as it would in a login. The breaker that
 * skips Redis for a cool-down after a failure runs on a clock the tests move.
 */
const limits = { maxFailuresPerAccount: 3, maxFailuresPerIp: 100, windowSeconds: 60 };
const prefix = `auth-throttle-test-${randomUUID().slice(0, 8)}:`;
const log = createLogger('auth-test', 'silent');

let proxy: TcpProxy;
let proxied: Redis;
let direct: Redis;
let throttle: LoginThrottle;
let breakerClock = 0;
const breakerOnTestClock = () => new Breaker({ coolDownMs: 1_000, now: () => breakerClock });

beforeAll(async () => {
  proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
  proxied = await connectRedis(`redis://${proxy.address}`, { log, fallbackAtStart: 'login throttling counts in this process', resendAfterReconnect: false });
  direct = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
  await direct.connect();
  throttle = new LoginThrottle(proxied, limits, log, prefix, breakerOnTestClock());
});

afterAll(async () => {
  const keys = await direct.keys(`${prefix}*`);
  if (keys.length) await direct.del(...keys);
  proxied.disconnect();
  direct.disconnect();
  await proxy.close();
});

const accountKey = (email: string) => `${prefix}login-failures:account:${createHash('sha256').update(email).digest('hex')}`;
const uniqueEmail = () => `person-${randomUUID()}@example.com`;

/** Redis is back and the throttle's cool-down is over. */
async function redisAnswersAgain(): Promise<void> {
  for (let attempt = 0; attempt < 100 && proxied.status !== 'ready'; attempt += 1) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(proxied.status).toBe('ready');
  breakerClock += 1_000;
}

/** Settles with the outcome, or with 'still waiting' after `ms`: a hang shows as a failed expectation, not a test timeout. */
function within<T>(work: Promise<T>, ms: number): Promise<T | 'still waiting'> {
  return Promise.race([work, new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), ms).unref())]);
}

describe.each(['refuse', 'blackhole'] as const)('with Redis cut off (new connections: %s)', (mode) => {
  afterEach(async () => {
    proxy.restore();
    await redisAnswersAgain();
  });

  it('locks an account after the same number of failures as with Redis, counting in this process', async () => {
    const email = uniqueEmail();
    proxy.cut(mode);
    for (let failure = 0; failure < limits.maxFailuresPerAccount; failure += 1) {
      expect((await throttle.check(email, '10.0.0.1')).allowed).toBe(true);
      await throttle.recordFailure(email, '10.0.0.1');
    }
    const locked = await throttle.check(email, '10.0.0.2');
    expect(locked.allowed).toBe(false);
    expect(locked.retryAfterSeconds).toBeGreaterThan(0);
    expect(await direct.exists(accountKey(email))).toBe(0);
  });

  it('hands the failures counted during the outage to Redis once it is back, so the lock outlasts the outage', async () => {
    const email = uniqueEmail();
    proxy.cut(mode);
    for (let failure = 0; failure < limits.maxFailuresPerAccount; failure += 1) await throttle.recordFailure(email, '10.0.1.1');
    proxy.restore();
    await redisAnswersAgain();

    const verdict = await throttle.check(email, '10.0.1.2');
    expect(verdict.allowed).toBe(false);
    expect(await direct.get(accountKey(email))).toBe(String(limits.maxFailuresPerAccount));
    const ttl = await direct.ttl(accountKey(email));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(limits.windowSeconds);
    // Handed over once: another check does not add them again.
    await throttle.check(email, '10.0.1.3');
    expect(await direct.get(accountKey(email))).toBe(String(limits.maxFailuresPerAccount));
  });

  it('adds failures counted during the outage to those Redis already had', async () => {
    const email = uniqueEmail();
    await throttle.recordFailure(email, '10.0.2.1');
    proxy.cut(mode);
    await throttle.recordFailure(email, '10.0.2.1');
    expect((await throttle.check(email, '10.0.2.1')).allowed).toBe(true);
    proxy.restore();
    await redisAnswersAgain();
    await throttle.recordFailure(email, '10.0.2.1');
    expect((await throttle.check(email, '10.0.2.1')).allowed).toBe(false);
    expect(await direct.get(accountKey(email))).toBe('3');
  });
});

describe('with Redis partitioned away (connections open, nothing answers)', () => {
  afterEach(async () => {
    proxy.restore();
    await redisAnswersAgain();
  });

  it('answers checks and records failures instead of waiting on Redis, and still locks the account', async () => {
    const email = uniqueEmail();
    expect(proxied.status).toBe('ready');
    proxy.partition();
    for (let failure = 0; failure < limits.maxFailuresPerAccount; failure += 1) {
      expect(await within(throttle.recordFailure(email, '10.0.3.1'), 5_000)).toBeUndefined();
    }
    const verdict = await within(throttle.check(email, '10.0.3.1'), 5_000);
    expect(verdict).toMatchObject({ allowed: false });
    expect(await within(throttle.recordSuccess(uniqueEmail()), 5_000)).toBeUndefined();
  });

  it('does not call Redis during the cool-down after a timeout, then lets one read try it, and hands it the failures counted meanwhile', async () => {
    const messages: string[] = [];
    const recorded = createLogger('auth-test', 'info', { write: (line: string) => void messages.push((JSON.parse(line) as { msg: string }).msg) });
    const own = new LoginThrottle(proxied, limits, recorded, prefix, breakerOnTestClock());
    const commands = jest.spyOn(proxied, 'sendCommand');
    const sent = () => commands.mock.calls.length;
    try {
      await own.check(uniqueEmail(), '10.0.4.1');
      const perCheck = sent();
      expect(perCheck).toBeGreaterThan(0);

      proxy.partition();
      expect(await own.check(uniqueEmail(), '10.0.4.2')).toEqual({ allowed: true, retryAfterSeconds: 0 });
      const afterTimeout = sent();
      expect(afterTimeout).toBe(2 * perCheck);

      const email = uniqueEmail();
      breakerClock += 999;
      for (let failure = 0; failure < limits.maxFailuresPerAccount; failure += 1) await own.recordFailure(email, '10.0.4.3');
      expect(await own.check(email, '10.0.4.4')).toMatchObject({ allowed: false });
      await own.recordSuccess(uniqueEmail());
      expect(sent()).toBe(afterTimeout);
      expect(messages.filter((message) => message.includes('Redis unavailable'))).toHaveLength(1);

      // The cool-down is over: of a check's two reads, one tries Redis, still away; the other counts here.
      breakerClock += 1;
      expect(await own.check(uniqueEmail(), '10.0.4.5')).toEqual({ allowed: true, retryAfterSeconds: 0 });
      expect(sent()).toBe(afterTimeout + perCheck / 2);

      proxy.restore();
      await redisAnswersAgain();
      expect(await own.check(email, '10.0.4.6')).toMatchObject({ allowed: false });
      expect(await direct.get(accountKey(email))).toBe(String(limits.maxFailuresPerAccount));
      expect(messages.filter((message) => message.includes('Redis reachable again'))).toHaveLength(1);
    } finally {
      commands.mockRestore();
    }
  });
});
