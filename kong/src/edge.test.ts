import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { readinessPath, type AccessLogLine, type RunningEdge } from './edge';
import { call, createIssuer, deadAddress, redisNamespace, start, startStub, until, type Issuer, type Stub } from './test-support';

describe('local edge with kong/kong.yml', () => {
  let gateway: Stub;
  let auth: Stub;
  let user: Stub;
  let edge: RunningEdge;
  let issuer: Issuer;
  let authorization: string;
  const accessLines: AccessLogLine[] = [];
  const redis = redisNamespace();

  beforeAll(async () => {
    [gateway, auth, user] = await Promise.all([startStub('gateway'), startStub('auth'), startStub('user')]);
    issuer = await createIssuer();
    authorization = `Bearer ${await issuer.token()}`;
    edge = await start({
      configPath: issuer.configPath,
      upstreamOverrides: { 'gateway-upstream': gateway.address, auth: auth.address, user: user.address },
      accessLog: (line) => accessLines.push(line),
      redisKeyPrefix: redis.prefix,
    });
  });

  afterAll(async () => {
    await edge.close();
    await Promise.all([gateway, auth, user].map((stub) => stub.close()));
    await issuer.cleanup();
    await redis.cleanup();
  });

  beforeEach(() => {
    for (const stub of [gateway, auth, user]) stub.seen.length = 0;
    accessLines.length = 0;
  });

  it('routes POST and GET /graphql to the gateway with path and query unchanged', async () => {
    const posted = await call(edge, '/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    expect(posted.status).toBe(200);
    expect(posted.json()).toMatchObject({ service: 'gateway', method: 'POST', url: '/graphql' });
    expect(gateway.seen[0]?.body.toString()).toBe('{"query":"{ me { id } }"}');

    const got = await call(edge, '/graphql?query=%7B__typename%7D');
    expect(got.json()).toMatchObject({ service: 'gateway', method: 'GET', url: '/graphql?query=%7B__typename%7D' });
  });

  it('keeps the /auth and /user prefixes (strip_path false) and routes each to its service', async () => {
    const login = await call(edge, '/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":"a@b.c"}' });
    expect(login.json()).toMatchObject({ service: 'auth', method: 'POST', url: '/auth/login' });
    const jwks = await call(edge, '/auth/.well-known/jwks.json');
    expect(jwks.json()).toMatchObject({ service: 'auth', url: '/auth/.well-known/jwks.json' });
    const patched = await call(edge, '/user/me', { method: 'PATCH', headers: { 'content-type': 'application/json', authorization }, body: '{}' });
    expect(patched.json()).toMatchObject({ service: 'user', method: 'PATCH', url: '/user/me' });
  });

  it('answers 404 JSON for a path no route has, and for a method the route does not allow', async () => {
    const unknownPath = await call(edge, '/orders');
    expect(unknownPath.status).toBe(404);
    expect(unknownPath.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no Route matched with those values' } });
    const wrongMethod = await call(edge, '/user/me', { method: 'PUT', body: '{}', headers: { authorization } });
    expect(wrongMethod.status).toBe(404);
    expect(user.seen).toHaveLength(0);
  });

  it('answers what it cannot proxy in the same JSON shape: bad URL, bad media type, malformed HTTP', async () => {
    const badUrl = await call(edge, '/user/%E0%A4%A');
    expect(badUrl.status).toBe(400);
    expect(badUrl.json()).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    const badMediaType = await call(edge, '/user/me', { method: 'PATCH', headers: { 'content-type': 'not a type', authorization }, body: '{}' });
    expect(badMediaType.status).toBe(415);
    expect(badMediaType.json()).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE' } });

    const { port } = new URL(edge.url);
    const socket = connect(Number(port), '127.0.0.1', () => socket.write('NOT HTTP\r\n\r\n'));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    await once(socket, 'close');
    const raw = Buffer.concat(chunks).toString();
    expect(raw).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toEqual({ error: { code: 'BAD_REQUEST', message: 'Bad Request' } });
    expect(user.seen).toHaveLength(0);
  });

  it('adds x-forwarded-* and sends the target as Host (preserve_host false)', async () => {
    await call(edge, '/user/me', { headers: { host: 'api.example.com:9090', 'x-forwarded-for': '203.0.113.7', authorization } });
    const headers = user.seen[0]?.headers;
    expect(headers?.host).toBe(user.address);
    expect(headers?.['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
    expect(headers?.['x-forwarded-proto']).toBe('http');
    expect(headers?.['x-forwarded-host']).toBe('api.example.com');
    expect(headers?.['x-real-ip']).toBe('127.0.0.1');
  });

  it('generates a correlation id when the client sends none, passes it upstream and echoes it', async () => {
    const response = await call(edge, '/user/me', { headers: { authorization } });
    const id = response.headers['x-correlation-id'];
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(user.seen[0]?.headers['x-correlation-id']).toBe(id);
  });

  it('passes a correlation id the client sent through unchanged', async () => {
    const response = await call(edge, '/graphql', { headers: { 'x-correlation-id': 'client-chosen-42' } });
    expect(response.headers['x-correlation-id']).toBe('client-chosen-42');
    expect(gateway.seen[0]?.headers['x-correlation-id']).toBe('client-chosen-42');
  });

  it('echoes a correlation id on the edge’s own errors too', async () => {
    const response = await call(edge, '/user/me', { method: 'POST', body: 'x'.repeat(10), headers: { 'x-correlation-id': 'on-error-1' } });
    expect(response.status).toBe(404);
    expect(response.headers['x-correlation-id']).toBe('on-error-1');
  });

  it('refuses a body over the global 1 MB limit with 413 JSON before it reaches the upstream', async () => {
    const response = await call(edge, '/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.alloc(1_048_577, 0x20) });
    expect(response.status).toBe(413);
    expect(response.json()).toEqual({ error: { code: 'PAYLOAD_TOO_LARGE', message: 'Request size limit exceeded' } });
    expect(gateway.seen).toHaveLength(0);
  });

  it("measures a chunked body without Content-Length: over /graphql's 256 KB limit 413, under it forwarded intact", async () => {
    const chunks = (count: number) => Readable.from(Array.from({ length: count }, () => Buffer.alloc(64 * 1024, 0x61)));
    const tooBig = await call(edge, '/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: chunks(5) });
    expect(tooBig.status).toBe(413);
    expect(gateway.seen).toHaveLength(0);

    const fits = await call(edge, '/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: chunks(3) });
    expect(fits.status).toBe(200);
    expect(fits.json()).toMatchObject({ bodyBytes: 3 * 64 * 1024 });
    expect(gateway.seen[0]?.body.equals(Buffer.alloc(3 * 64 * 1024, 0x61))).toBe(true);
  });

  it('applies the auth route’s own 64 KB limit over the global one', async () => {
    const body = Buffer.alloc(100 * 1024, 0x20);
    const toAuth = await call(edge, '/auth/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(toAuth.status).toBe(413);
    const toUser = await call(edge, '/user/me', { method: 'PATCH', headers: { 'content-type': 'application/json', authorization }, body });
    expect(toUser.status).toBe(200);
  });

  it('answers a CORS preflight itself, without calling the upstream', async () => {
    const response = await call(edge, '/graphql', {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(response.status).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.headers['access-control-allow-methods']).toBe('GET,HEAD,POST,PATCH,DELETE,OPTIONS');
    expect(response.headers['access-control-allow-headers']).toContain('Authorization');
    expect(response.headers['access-control-max-age']).toBe('600');
    expect(gateway.seen).toHaveLength(0);
  });

  it('adds CORS headers to proxied answers for browser callers', async () => {
    const response = await call(edge, '/user/me', { headers: { origin: 'http://localhost:5173', authorization } });
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.headers['access-control-expose-headers']).toContain('x-correlation-id');
    expect(response.headers['access-control-expose-headers']).toContain('ratelimit-remaining');
  });

  it('answers its own readiness path without proxying or logging it', async () => {
    const response = await call(edge, readinessPath);
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ status: 'ready', service: 'edge' });
    expect(user.seen).toHaveLength(0);
    await call(edge, '/user/me', { headers: { authorization } });
    await until(() => accessLines.length > 0);
    expect(accessLines.map((line) => line.path)).toEqual(['/user/me']);
  });

  it('writes one access-log line per request with route, status, latency and correlation id', async () => {
    await call(edge, '/auth/login', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', 'x-correlation-id': 'log-me-1' } });
    await until(() => accessLines.length > 0);
    expect(accessLines).toHaveLength(1);
    expect(accessLines[0]).toMatchObject({
      method: 'POST',
      path: '/auth/login',
      route: 'auth-login',
      upstreamService: 'auth',
      target: auth.address,
      status: 200,
      correlationId: 'log-me-1',
      consumer: null,
    });
    expect(accessLines[0]?.latencyMs).toEqual(expect.any(Number));
    accessLines.length = 0;
    await call(edge, '/user/me', { headers: { authorization } });
    await until(() => accessLines.length > 0);
    expect(accessLines[0]).toMatchObject({ route: 'user', status: 200, consumer: 'x-auth' });
  });
});

describe('local edge when an upstream fails', () => {
  it('answers 502 JSON for a service that is down and keeps serving the others', async () => {
    const user = await startStub('user');
    const edge = await start({ upstreamOverrides: { auth: await deadAddress(), user: await deadAddress(), 'gateway-upstream': user.address } });
    try {
      const down = await call(edge, '/auth/login', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      expect(down.status).toBe(502);
      expect(down.json()).toEqual({ error: { code: 'BAD_GATEWAY', message: 'auth is unavailable' } });
      expect(down.headers['x-correlation-id']).toEqual(expect.any(String));
      const up = await call(edge, '/graphql?query=%7B__typename%7D');
      expect(up.status).toBe(200);
    } finally {
      await edge.close();
      await user.close();
    }
  });

  it('answers 504 JSON when the upstream does not answer within read_timeout', async () => {
    const slow = await startStub('slow', { delayMs: 1_000 });
    const dir = await mkdtemp(path.join(tmpdir(), 'edge-'));
    const configPath = path.join(dir, 'kong.yml');
    await writeFile(
      configPath,
      ['_format_version: "3.0"', 'services:', '  - name: slow', '    url: http://slow-host:1', '    read_timeout: 200', '    routes:', '      - name: slow', '        paths: [/slow]'].join('\n'),
    );
    const edge = await start({ configPath, upstreamOverrides: { slow: slow.address } });
    try {
      const response = await call(edge, '/slow');
      expect(response.status).toBe(504);
      expect(response.json()).toEqual({ error: { code: 'GATEWAY_TIMEOUT', message: 'slow did not answer in time' } });
    } finally {
      await edge.close();
      await slow.close();
      await rm(dir, { recursive: true });
    }
  });
});

describe('local edge lifecycle', () => {
  it('finishes a request in flight when closed, then refuses connections', async () => {
    const slow = await startStub('user', { delayMs: 300 });
    const edge = await start({ upstreamOverrides: { user: slow.address, auth: slow.address, 'gateway-upstream': slow.address } });
    const inFlight = call(edge, '/graphql?query=%7B__typename%7D');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = edge.close();
    const response = await inFlight;
    await closed;
    expect(response.status).toBe(200);
    await expect(request(`${edge.url}/graphql`)).rejects.toThrow();
    await slow.close();
  });
});

describe('kong.yml the local edge does not implement', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'edge-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true });
  });

  async function startWith(yaml: string[]): Promise<RunningEdge> {
    const configPath = path.join(dir, `kong-${Math.random().toString(36).slice(2)}.yml`);
    await writeFile(configPath, ['_format_version: "3.0"', ...yaml].join('\n'));
    return start({ configPath });
  }

  const service = ['services:', '  - name: auth', '    url: http://auth:3000', '    routes:', '      - name: auth', '        paths: [/auth]'];

  it('stops the edge naming an unknown plugin and where it is', async () => {
    await expect(startWith([...service, 'plugins:', '  - name: key-auth', '    config: {}'])).rejects.toThrow(
      /plugins\[0\]\.name: unknown plugin "key-auth" \(the local edge implements correlation-id, cors, jwt, request-size-limiting, rate-limiting, response-transformer, proxy-cache, file-log\)/,
    );
  });

  it('stops the edge naming an unknown field of a route', async () => {
    await expect(startWith([...service, '        hosts: [api.example.com]'])).rejects.toThrow(
      /services\[0\]\.routes\[0\]: unknown field "hosts" \(not implemented by the local edge\)/,
    );
  });

  it('stops the edge naming an unknown field in a plugin config', async () => {
    await expect(startWith([...service, 'plugins:', '  - name: cors', '    config:', '      private_network: true'])).rejects.toThrow(
      /plugins\[0\]\.config: unknown field "private_network"/,
    );
  });

  it('stops the edge on a regex path, which it does not implement', async () => {
    await expect(startWith(['services:', '  - name: auth', '    url: http://auth:3000', '    routes:', '      - name: auth', '        paths: ["~/auth$"]'])).rejects.toThrow(
      /services\[0\]\.routes\[0\]\.paths\[0\]: regex paths \(~\) are not implemented/,
    );
  });

  it('refuses an upstream override for a name kong.yml does not have', async () => {
    await expect(start({ upstreamOverrides: { payments: '127.0.0.1:1' } })).rejects.toThrow(/"payments" names no service, upstream or host in kong.yml/);
  });
});

describe('routes with strip_path and preserve_host', () => {
  it('joins the service path with what follows the prefix, and keeps the client’s Host', async () => {
    const stub = await startStub('legacy');
    const dir = await mkdtemp(path.join(tmpdir(), 'edge-strip-'));
    const configPath = path.join(dir, 'kong.yml');
    await writeFile(
      configPath,
      [
        '_format_version: "3.0"',
        'services:',
        '  - name: legacy',
        '    url: http://legacy-host:8080/api/v1',
        '    routes:',
        '      - name: legacy',
        '        paths: [/legacy]',
        '        strip_path: true',
        '        preserve_host: true',
      ].join('\n'),
    );
    const edge = await start({ configPath, upstreamOverrides: { legacy: stub.address } });
    try {
      const response = await call(edge, '/legacy/orders/7?expand=lines', { headers: { host: 'shop.example.com' } });
      expect(response.json()).toMatchObject({ url: '/api/v1/orders/7?expand=lines' });
      expect(stub.seen[0]?.headers.host).toBe('shop.example.com');
    } finally {
      await edge.close();
      await stub.close();
      await rm(dir, { recursive: true });
    }
  });
});

describe('cors with a list of origins', () => {
  it('echoes an allowed origin (literal or regex) with Vary and leaves out one that is not', async () => {
    const stub = await startStub('auth');
    const dir = await mkdtemp(path.join(tmpdir(), 'edge-cors-'));
    const configPath = path.join(dir, 'kong.yml');
    await writeFile(
      configPath,
      [
        '_format_version: "3.0"',
        'services:',
        '  - name: auth',
        '    url: http://auth:3000',
        '    routes:',
        '      - name: auth',
        '        paths: [/auth]',
        '        strip_path: false',
        'plugins:',
        '  - name: cors',
        '    config:',
        '      origins: ["https://app.example.com", "http://localhost:\\\\d+"]',
        '      credentials: true',
      ].join('\n'),
    );
    const edge = await start({ configPath, upstreamOverrides: { auth: stub.address } });
    try {
      const literal = await call(edge, '/auth/x', { headers: { origin: 'https://app.example.com:443' } });
      expect(literal.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(literal.headers['access-control-allow-credentials']).toBe('true');
      expect(literal.headers.vary).toBe('Origin');
      const pattern = await call(edge, '/auth/x', { headers: { origin: 'http://localhost:5173' } });
      expect(pattern.headers['access-control-allow-origin']).toBe('http://localhost:5173');
      const other = await call(edge, '/auth/x', { headers: { origin: 'https://evil.example.net' } });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
      expect(other.status).toBe(200);
    } finally {
      await edge.close();
      await stub.close();
      await rm(dir, { recursive: true });
    }
  });
});
