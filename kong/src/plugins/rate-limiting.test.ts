import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { RunningEdge } from '../edge';
import { call, createIssuer, deadAddress, recordingLog, redisNamespace, start, startStub, until, type Issuer, type Stub } from '../test-support';

/** Job 7, rate limiting: Kong's rate-limiting with policy redis, counters local and synced every sync_rate. */

// The middle of a minute, fixed: windows and Retry-After do not depend on when the test runs.
const fixedNow = Date.UTC(2031, 4, 6, 12, 30, 20);

describe('rate limits of kong.yml', () => {
  let auth: Stub;
  let gateway: Stub;
  let issuer: Issuer;
  let edge: RunningEdge;
  const redis = redisNamespace();

  beforeAll(async () => {
    [auth, gateway] = await Promise.all([startStub('auth'), startStub('gateway')]);
    issuer = await createIssuer();
    edge = await start({
      configPath: issuer.configPath,
      upstreamOverrides: { auth: auth.address, user: auth.address, 'gateway-upstream': gateway.address },
      redisKeyPrefix: redis.prefix,
      now: () => fixedNow,
    });
  });

  afterAll(async () => {
    await edge.close();
    await Promise.all([auth.close(), gateway.close(), issuer.cleanup()]);
    await redis.cleanup();
  });

  const login = () => call(edge, '/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":"a@b.c","password":"x"}' });

  it('allows 10 logins a minute per address, then answers 429 with RateLimit-* and Retry-After', async () => {
    const remaining: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      const response = await login();
      expect(response.status).toBe(200);
      remaining.push(String(response.headers['ratelimit-remaining']));
    }
    expect(remaining).toEqual(['9', '8', '7', '6', '5', '4', '3', '2', '1', '0']);

    const refused = await login();
    expect(refused.status).toBe(429);
    expect(refused.json()).toEqual({ error: { code: 'TOO_MANY_REQUESTS', message: 'API rate limit exceeded' } });
    expect(refused.headers).toMatchObject({
      'ratelimit-limit': '10',
      'ratelimit-remaining': '0',
      'ratelimit-reset': '40',
      'retry-after': '40',
      'x-ratelimit-limit-minute': '10',
      'x-ratelimit-remaining-minute': '0',
      'x-ratelimit-limit-hour': '100',
    });
    expect(auth.seen).toHaveLength(10);
  });

  it('limits sign-ups per address like logins (a taken e-mail answers 409, which a list of addresses could probe): 10 a minute, then 429', async () => {
    auth.seen.length = 0;
    const register = () => call(edge, '/auth/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":"a@b.c","password":"x"}' });
    for (let i = 0; i < 10; i += 1) expect((await register()).status).toBe(200);
    const refused = await register();
    expect(refused.status).toBe(429);
    expect(refused.headers).toMatchObject({ 'x-ratelimit-limit-minute': '10', 'x-ratelimit-limit-hour': '100', 'retry-after': '40' });
    expect(auth.seen).toHaveLength(10);
  });

  it('keeps the rest of /auth under the looser limit while logins are refused', async () => {
    const jwks = await call(edge, '/auth/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    expect(jwks.headers['x-ratelimit-limit-minute']).toBe('3000');
  });

  it('counts GraphQL with a token per token, apart from anonymous GraphQL per address', async () => {
    const token = await issuer.token({ nowSeconds: Math.floor(fixedNow / 1000) });
    const withToken = await call(edge, '/graphql?query=%7B__typename%7D', { headers: { authorization: `Bearer ${token}` } });
    const anonymous = await call(edge, '/graphql?query=%7B__typename%7D');
    expect(withToken.headers['x-ratelimit-remaining-minute']).toBe('1199');
    expect(anonymous.headers['x-ratelimit-remaining-minute']).toBe('1199');
  });
});

describe('rate-limiting counters shared through Redis', () => {
  let dir: string;
  let upstream: Stub;
  const redis = redisNamespace();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'edge-rl-'));
    upstream = await startStub('api');
  });

  afterAll(async () => {
    await upstream.close();
    await rm(dir, { recursive: true });
    await redis.cleanup();
  });

  async function configWith(redisPort: number): Promise<string> {
    const file = path.join(dir, `kong-${redisPort}.yml`);
    await writeFile(
      file,
      [
        '_format_version: "3.0"',
        'services:',
        '  - name: api',
        '    url: http://api-host:1',
        '    routes:',
        '      - name: api',
        '        paths: [/api]',
        'plugins:',
        '  - name: rate-limiting',
        '    config:',
        '      minute: 4',
        '      limit_by: ip',
        '      policy: redis',
        '      sync_rate: 0.05',
        '      redis:',
        '        host: redis',
        `        port: ${redisPort}`,
        '        timeout: 200',
      ].join('\n'),
    );
    return file;
  }

  it('lets two edges share one budget: what one counted, the other refuses', async () => {
    const configPath = await configWith(6379);
    const [first, second] = await Promise.all([
      start({ configPath, upstreamOverrides: { api: upstream.address }, redisKeyPrefix: redis.prefix, now: () => fixedNow }),
      start({ configPath, upstreamOverrides: { api: upstream.address }, redisKeyPrefix: redis.prefix, now: () => fixedNow }),
    ]);
    const client = new Redis();
    try {
      for (let i = 0; i < 4; i += 1) expect((await call(first, '/api/x')).status).toBe(200);
      // The first edge sends its counts on its next sync.
      await until(async () => {
        const keys = await client.keys(`${redis.prefix}ratelimit:*`);
        return keys.length === 1 && (await client.get(keys[0]!)) === '4';
      });
      const refused = await call(second, '/api/x');
      expect(refused.status).toBe(429);
      expect(upstream.seen).toHaveLength(4);
    } finally {
      client.disconnect();
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('fails open when Redis is down: requests pass, counted by the edge alone, and it says so in its log', async () => {
    upstream.seen.length = 0;
    const deadRedis = await deadAddress();
    const configPath = await configWith(6379);
    const { log, messages } = recordingLog();
    const edge = await start({ configPath, upstreamOverrides: { api: upstream.address, redis: deadRedis }, redisKeyPrefix: redis.prefix, now: () => fixedNow, log });
    try {
      for (let i = 0; i < 4; i += 1) {
        const response = await call(edge, '/api/x');
        expect(response.status).toBe(200);
        expect(response.headers['ratelimit-remaining']).toBe(String(3 - i));
      }
      expect((await call(edge, '/api/x')).status).toBe(429);
      expect(upstream.seen).toHaveLength(4);
      expect(messages.some((message) => message.includes('Redis unavailable') && message.includes('fail open'))).toBe(true);
    } finally {
      await edge.close();
    }
  });
});
