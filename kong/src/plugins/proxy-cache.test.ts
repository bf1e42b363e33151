import type { RunningEdge } from '../edge';
import { call, createIssuer, start, startStub, type Issuer, type Stub } from '../test-support';

/** Job 5, caching: Kong's proxy-cache on anonymous GraphQL GETs, honouring the gateway's Cache-Control. */

describe('proxy-cache of kong.yml in front of the gateway', () => {
  let gateway: Stub;
  let issuer: Issuer;
  let edge: RunningEdge;
  let clockMs = Date.UTC(2031, 4, 6, 12, 0, 0);
  let answers = 0;

  beforeAll(async () => {
    gateway = await startStub('gateway', {
      // As the gateway answers: public data may be cached for 30 s, the rest never.
      handler: (request, response) => {
        answers += 1;
        const cacheable = request.method === 'GET' && !request.url.includes('%7Bme') && !request.headers.authorization;
        response.setHeader('content-type', 'application/json; charset=utf-8');
        response.setHeader('cache-control', cacheable ? 'max-age=30, public' : 'no-store');
        response.end(JSON.stringify({ data: { answer: answers } }));
      },
    });
    issuer = await createIssuer();
    edge = await start({ configPath: issuer.configPath, upstreamOverrides: { 'gateway-upstream': gateway.address }, now: () => clockMs });
  });

  afterAll(async () => {
    await edge.close();
    await Promise.all([gateway.close(), issuer.cleanup()]);
  });

  beforeEach(() => {
    gateway.seen.length = 0;
    clockMs += 3_600_000;
  });

  const persistedQuery = (hash: string) =>
    `/graphql?operationName=Stores&extensions=${encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } }))}`;

  it('answers a repeated persisted-query GET from its cache: Miss, then Hit with the same body and an Age', async () => {
    const first = await call(edge, persistedQuery('a1'));
    expect(first.headers['x-cache-status']).toBe('Miss');
    clockMs += 5_000;
    const second = await call(edge, persistedQuery('a1'));
    expect(second.headers['x-cache-status']).toBe('Hit');
    expect(second.text).toBe(first.text);
    expect(second.headers.age).toBe('5');
    expect(second.headers['x-cache-key']).toBe(first.headers['x-cache-key']);
    expect(gateway.seen).toHaveLength(1);
  });

  it('keeps each query apart (the query string is part of the key)', async () => {
    await call(edge, persistedQuery('b1'));
    const other = await call(edge, persistedQuery('b2'));
    expect(other.headers['x-cache-status']).toBe('Miss');
    expect(gateway.seen).toHaveLength(2);
  });

  it('goes back to the gateway once the gateway’s max-age has passed', async () => {
    await call(edge, persistedQuery('c1'));
    clockMs += 31_000;
    const expired = await call(edge, persistedQuery('c1'));
    expect(expired.headers['x-cache-status']).toBe('Miss');
    expect(gateway.seen).toHaveLength(2);
    expect((await call(edge, persistedQuery('c1'))).headers['x-cache-status']).toBe('Hit');
  });

  it('refreshes an entry older than the max-age the client asks for (Refresh)', async () => {
    await call(edge, persistedQuery('e1'));
    clockMs += 5_000;
    const refreshed = await call(edge, persistedQuery('e1'), { headers: { 'cache-control': 'max-age=2' } });
    expect(refreshed.headers['x-cache-status']).toBe('Refresh');
    expect(gateway.seen).toHaveLength(2);
  });

  it('never stores what the gateway marks no-store', async () => {
    const first = await call(edge, '/graphql?query=%7Bme%7Bid%7D%7D');
    const second = await call(edge, '/graphql?query=%7Bme%7Bid%7D%7D');
    expect([first.headers['x-cache-status'], second.headers['x-cache-status']]).toEqual(['Bypass', 'Bypass']);
    expect(gateway.seen).toHaveLength(2);
  });

  it('never applies to POST /graphql (the body is not in the key)', async () => {
    const post = (query: string) => call(edge, '/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    const first = await post('{ a }');
    const second = await post('{ b }');
    expect(first.headers['x-cache-status']).toBe('Bypass');
    expect(JSON.parse(second.text)).not.toEqual(JSON.parse(first.text));
    expect(gateway.seen).toHaveLength(2);
  });

  it('never caches a request with a token: it takes the authenticated route, which has no cache', async () => {
    const authorization = `Bearer ${await issuer.token({ nowSeconds: Math.floor(clockMs / 1000) })}`;
    await call(edge, persistedQuery('d1'));
    const withToken = await call(edge, persistedQuery('d1'), { headers: { authorization } });
    expect(withToken.headers['x-cache-status']).toBeUndefined();
    const again = await call(edge, persistedQuery('d1'), { headers: { authorization } });
    expect(again.headers['x-cache-status']).toBeUndefined();
    expect(gateway.seen).toHaveLength(3);
  });
});
