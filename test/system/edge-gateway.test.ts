import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startTestPlatform, type TestPlatform } from '../support/platform';

/**
 * The edge's jobs end to end: the real local edge (kong.yml rendered with auth's key) in front of two
 * real gateway replicas and the live subgraphs, as `npm start -- --gateway-replicas 2` runs them.
 */

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform({ gatewayReplicas: 2 });
}, 180_000);

afterAll(async () => {
  await platform?.teardown();
}, 60_000);

async function send(pathAndQuery: string, init: RequestInit = {}) {
  const response = await fetch(`${platform.urls.edge}${pathAndQuery}`, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

const json = { 'content-type': 'application/json' };
const email = `edge-${Date.now()}@example.com`;
const password = 'correct horse battery';

describe('the edge in front of the platform', () => {
  let accessToken: string;
  let loginMinute: number;

  beforeAll(async () => {
    loginMinute = Math.floor(Date.now() / 60_000);
    await send('/auth/register', { method: 'POST', headers: json, body: JSON.stringify({ email, password, displayName: 'Edge Tester' }) });
    const login = await send('/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ email, password }) });
    accessToken = login.json().accessToken as string;
  });

  it('checks tokens at the edge: a valid one reaches the subgraphs, a forged one is 401 JSON from the edge', async () => {
    const me = await send('/graphql', { method: 'POST', headers: { ...json, authorization: `Bearer ${accessToken}` }, body: JSON.stringify({ query: '{ me { email } }' }) });
    expect(me.json()).toEqual({ data: { me: { email } } });

    const [header, payload] = accessToken.split('.');
    const forged = await send('/graphql', { method: 'POST', headers: { ...json, authorization: `Bearer ${header}.${payload}.AAAA` }, body: JSON.stringify({ query: '{ me { email } }' }) });
    expect(forged.status).toBe(401);
    expect(forged.json()).toEqual({ error: { code: 'UNAUTHENTICATED', message: 'Invalid signature' } });
  });

  it('serves a persisted query over GET and caches the public answer at the edge', async () => {
    const query = 'query Categories { categories { id name } }';
    const extensions = JSON.stringify({ persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') } });
    const headers = { 'apollo-require-preflight': 'true' };
    const byHash = `/graphql?operationName=Categories&extensions=${encodeURIComponent(extensions)}`;

    const unknown = await send(byHash, { headers });
    expect(JSON.stringify(unknown.json())).toContain('PERSISTED_QUERY_NOT_FOUND');
    const registered = await send('/graphql', { method: 'POST', headers: json, body: JSON.stringify({ query, operationName: 'Categories', extensions: JSON.parse(extensions) }) });
    expect(registered.json()).toMatchObject({ data: { categories: expect.any(Array) } });

    const first = await send(byHash, { headers });
    const second = await send(byHash, { headers });
    expect(first.json()).toMatchObject({ data: { categories: expect.any(Array) } });
    expect(first.headers.get('cache-control')).toBe('max-age=30, public');
    expect([first.headers.get('x-cache-status'), second.headers.get('x-cache-status')]).toEqual(['Miss', 'Hit']);
    expect(second.text).toBe(first.text);
  });

  it('enforces the gateway’s limits through the edge with their codes', async () => {
    const deep = '{ categories { children { children { children { children { children { children { children { children { children { children { children { id } } } } } } } } } } } } }';
    const answer = await send('/graphql', { method: 'POST', headers: json, body: JSON.stringify({ query: deep }) });
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.json())).toContain('QUERY_TOO_DEEP');
  });

  it('balances over both gateway replicas and logs one JSON line per request with the consumer', async () => {
    for (let i = 0; i < 4; i += 1) {
      await send('/graphql', { method: 'POST', headers: { ...json, authorization: `Bearer ${accessToken}` }, body: JSON.stringify({ query: '{ me { id } }' }) });
    }
    const lines = readFileSync(path.join(platform.logDir, 'edge.log'), 'utf8')
      .split('\n')
      .filter((line) => line.includes('"msg":"access"'))
      .map((line) => JSON.parse(line) as { route: string; target: string | null; consumer: string | null; correlationId: string | null; status: number });
    const authenticated = lines.filter((line) => line.route === 'graphql-authenticated' && line.status === 200);
    const replicaAddresses = platform.urls.gatewayReplicas.map((url) => new URL(url).host);
    expect(new Set(authenticated.map((line) => line.target))).toEqual(new Set(replicaAddresses));
    expect(authenticated.every((line) => line.consumer === 'x-auth' && typeof line.correlationId === 'string')).toBe(true);
  });

  it('strips upstream internals from responses and echoes the correlation id', async () => {
    const answer = await send('/graphql', { method: 'POST', headers: { ...json, 'x-correlation-id': 'sys-edge-1' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(answer.headers.get('x-correlation-id')).toBe('sys-edge-1');
    expect(answer.headers.get('x-powered-by')).toBeNull();
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('refuses the 11th login a minute from one address with 429 and Retry-After', async () => {
    // Windows are calendar minutes: start well inside one, so all attempts fall in it.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 55_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 200));
    // beforeAll's login counts when it fell in this minute. Other accounts each time, so auth's own per-account throttle stays out of it.
    const allowed = Math.floor(Date.now() / 60_000) === loginMinute ? 9 : 10;
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof send>> | undefined;
    for (let i = 0; i <= allowed; i += 1) {
      last = await send('/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ email: `nobody-${i}-${email}`, password }) });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([...Array.from({ length: allowed }, () => 401), 429]);
    expect(last?.json()).toEqual({ error: { code: 'TOO_MANY_REQUESTS', message: 'API rate limit exceeded' } });
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last?.headers.get('ratelimit-remaining')).toBe('0');
  }, 90_000);
});
