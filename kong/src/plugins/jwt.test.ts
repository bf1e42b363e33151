import crypto from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';
import type { RunningEdge } from '../edge';
import { call, createIssuer, start, startStub, type Issuer, type Stub } from '../test-support';

/** Job 3, authentication: Kong's jwt plugin on the routes that need it, through the local edge and kong.yml. */

describe('jwt at the edge (kong.yml with auth’s key rendered in)', () => {
  let gateway: Stub;
  let user: Stub;
  let issuer: Issuer;
  let edge: RunningEdge;
  let clockMs = Date.now();

  beforeAll(async () => {
    [gateway, user] = await Promise.all([startStub('gateway'), startStub('user')]);
    issuer = await createIssuer();
    edge = await start({
      configPath: issuer.configPath,
      upstreamOverrides: { 'gateway-upstream': gateway.address, user: user.address, auth: user.address },
      now: () => clockMs,
    });
  });

  afterAll(async () => {
    await edge.close();
    await Promise.all([gateway.close(), user.close(), issuer.cleanup()]);
  });

  beforeEach(() => {
    clockMs = Date.now();
    gateway.seen.length = 0;
    user.seen.length = 0;
  });

  const graphql = (authorization?: string) =>
    call(edge, '/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: '{"query":"{ me { id } }"}',
    });

  it('lets a valid token through to the gateway, naming the consumer and credential upstream', async () => {
    const token = await issuer.token();
    const response = await graphql(`Bearer ${token}`);
    expect(response.status).toBe(200);
    expect(gateway.seen[0]?.headers).toMatchObject({
      authorization: `Bearer ${token}`,
      'x-consumer-username': 'x-auth',
      'x-credential-identifier': issuer.kid,
    });
  });

  it('lets anonymous GraphQL through (browsing is public) without consumer headers', async () => {
    const response = await graphql();
    expect(response.status).toBe(200);
    expect(gateway.seen[0]?.headers['x-consumer-username']).toBeUndefined();
  });

  it.each([
    ['an expired token', async () => `Bearer ${await issuer.token({ expiresInSeconds: -10 })}`, 'token expired'],
    ['a token whose signature was tampered with', async () => `Bearer ${(await issuer.token()).slice(0, -4)}AAAA`, 'Invalid signature'],
    ['a token signed by another key under the same kid', async () => {
      const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
      const forged = await new SignJWT({ roles: ['hq_admin'] }).setProtectedHeader({ alg: 'EdDSA', kid: issuer.kid }).setExpirationTime('5m').sign(privateKey);
      return `Bearer ${forged}`;
    }, 'Invalid signature'],
    ['a token with a kid auth never published', async () => {
      const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
      const token = await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid: 'not-a-key' }).setExpirationTime('5m').sign(privateKey);
      return `Bearer ${token}`;
    }, "No credentials found for given 'kid'"],
    ['a token that is not a JWT', async () => 'Bearer aaa.bbb.ccc', 'Bad token; invalid JSON'],
    ['credentials that are not a bearer token', async () => 'Basic dXNlcjpwYXNz', 'Unauthorized'],
  ])('answers 401 JSON for %s on /graphql and never reaches the gateway', async (_name, authorization, message) => {
    const response = await graphql(await authorization());
    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json()).toEqual({ error: { code: 'UNAUTHENTICATED', message } });
    expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="kong"/);
    expect(gateway.seen).toHaveLength(0);
  });

  it('requires a token on /user', async () => {
    const anonymous = await call(edge, '/user/me');
    expect(anonymous.status).toBe(401);
    expect(anonymous.json()).toEqual({ error: { code: 'UNAUTHENTICATED', message: 'Unauthorized' } });
    const signedIn = await call(edge, '/user/me', { headers: { authorization: `Bearer ${await issuer.token()}` } });
    expect(signedIn.status).toBe(200);
    expect(user.seen).toHaveLength(1);
  });

  it('ignores a token in the query string (tokens never travel in URLs)', async () => {
    const response = await call(edge, `/user/me?jwt=${await issuer.token()}`);
    expect(response.status).toBe(401);
  });

  it('verifies a token once and trusts the verdict until the token expires', async () => {
    const verify = jest.spyOn(crypto, 'verify');
    try {
      const token = await issuer.token({ nowSeconds: Math.floor(clockMs / 1000), expiresInSeconds: 60 });
      for (let i = 0; i < 3; i += 1) expect((await graphql(`Bearer ${token}`)).status).toBe(200);
      expect(verify).toHaveBeenCalledTimes(1);

      clockMs += 61_000;
      const expired = await graphql(`Bearer ${token}`);
      expect(expired.status).toBe(401);
      expect(expired.json()).toMatchObject({ error: { message: 'token expired' } });
    } finally {
      verify.mockRestore();
    }
  });

  it('lets CORS preflights through without a token (run_on_preflight false)', async () => {
    const response = await call(edge, '/user/me', {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'GET' },
    });
    expect(response.status).toBe(200);
  });
});
