import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { importJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import { createConnection, type SqlError } from 'mariadb';
import { liveServices, parseMysqlUrl } from '@x/kit';
import { clientOf, password, until } from '../support/client';
import { freePort, startTestPlatform, type TestPlatform } from '../support/platform';

/**
 * Who may reach what, through the real platform: DB users confined to their own database, every
 * kind of forged or replayed token refused at :9090, login throttling, no account enumeration in
 * login answers, GraphQL abuse refused with its own code while others keep being served, and
 * injection-looking input kept as plain data.
 */
let platform: TestPlatform;
let client: ReturnType<typeof clientOf>;
const mysqlAdminUrl = process.env.TEST_MYSQL_ADMIN_URL ?? 'mysql://root@127.0.0.1:3306/mysql';

beforeAll(async () => {
  platform = await startTestPlatform();
  client = clientOf(platform);
}, 120_000);

afterAll(async () => {
  await platform?.teardown();
}, 60_000);

const mysqlServices = () => liveServices().filter((s) => s.backing.includes('mysql'));

describe('database isolation', () => {
  it("lets every service's DB user read its own database and refuses it every other service's database", async () => {
    const secrets = JSON.parse(readFileSync(path.join(platform.stateDir, 'secrets.json'), 'utf8')) as { databasePasswords: Record<string, string> };
    const admin = parseMysqlUrl(mysqlAdminUrl);
    const services = mysqlServices();
    expect(services.length).toBeGreaterThanOrEqual(8);
    const refused: string[] = [];
    for (const service of services) {
      const own = `${platform.databasePrefix}${service.database}`;
      const connection = await createConnection({ host: admin.host, port: admin.port, user: own.slice(0, 32), password: secrets.databasePasswords[service.name]!, database: own });
      try {
        const [ownCount] = await connection.query<{ n: bigint }[]>(`SELECT COUNT(*) AS n FROM \`${own}\`.outbox`);
        expect(ownCount).toBeDefined();
        const visible = (await connection.query<{ Database: string }[]>('SHOW DATABASES')).map((row) => row.Database);
        expect(visible.filter((name) => name !== 'information_schema')).toEqual([own]);
        for (const other of services.filter((s) => s !== service)) {
          const theirs = `${platform.databasePrefix}${other.database}`;
          const error = await connection.query(`SELECT * FROM \`${theirs}\`.outbox LIMIT 1`).then(
            () => undefined,
            (e: SqlError) => e,
          );
          // 1142: table access denied, 1044: database access denied.
          expect([1142, 1044]).toContain(error?.errno);
          refused.push(`${service.name}→${other.name}`);
        }
        const system = await connection.query('SELECT User FROM mysql.user').then(
          () => undefined,
          (e: SqlError) => e,
        );
        expect([1142, 1044]).toContain(system?.errno);
      } finally {
        await connection.end();
      }
    }
    expect(refused).toHaveLength(services.length * (services.length - 1));
  });
});

describe('tokens at :9090', () => {
  let user: { token: string; id: string; email: string };
  let authKey: { kid: string; privateKey: KeyLike };
  const me = (token: string) => client.post<{ data?: { me: { id: string } }; errors?: unknown[]; error?: { code: string } }>('/graphql', { query: '{ me { id } }' }, token);
  const sign = (key: KeyLike, kid: string, claims: { exp: number; roles?: string[]; sub?: string }) =>
    new SignJWT({ roles: claims.roles ?? ['customer'] })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
      .setSubject(claims.sub ?? user.id)
      .setIssuer('x-auth')
      .setAudience('x-platform')
      .setIssuedAt(claims.exp - 900)
      .setJti(randomUUID())
      .setExpirationTime(claims.exp)
      .sign(key);
  const now = () => Math.floor(Date.now() / 1000);
  const refusedAs401 = (answer: Awaited<ReturnType<typeof me>>) => {
    expect(answer.status).toBe(401);
    expect(answer.body.data?.me).toBeUndefined();
    expect(answer.body.error?.code ?? JSON.stringify(answer.body)).toContain('UNAUTHENTICATED');
  };

  beforeAll(async () => {
    user = await client.account('customer');
    // auth's own signing key, read as the database's admin: forged tokens below differ from a good one in one respect only.
    const connection = await createConnection({ ...parseMysqlUrl(mysqlAdminUrl), database: undefined });
    try {
      const [row] = await connection.query<{ kid: string; private_jwk: string }[]>(
        `SELECT kid, private_jwk FROM \`${platform.databasePrefix}x_auth\`.signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1`,
      );
      authKey = { kid: row!.kid, privateKey: (await importJWK(JSON.parse(row!.private_jwk) as JWK, 'EdDSA')) as KeyLike };
    } finally {
      await connection.end();
    }
  });

  it("accepts a token signed with auth's key that is in date (the control for the forgeries below)", async () => {
    const answer = await me(await sign(authKey.privateKey, authKey.kid, { exp: now() + 600 }));
    expect(answer.status).toBe(200);
    expect(answer.body.data?.me.id).toBe(user.id);
  });

  it('refuses an expired token even with a valid signature', async () => {
    refusedAs401(await me(await sign(authKey.privateKey, authKey.kid, { exp: now() - 60 })));
  });

  it('refuses a tampered token: roles raised to hq_admin after signing', async () => {
    const [header, payload, signature] = user.token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const raised = Buffer.from(JSON.stringify({ ...claims, roles: ['hq_admin'] })).toString('base64url');
    refusedAs401(await me(`${header}.${raised}.${signature}`));
    const flipped = signature.startsWith('A') ? `B${signature.slice(1)}` : `A${signature.slice(1)}`;
    refusedAs401(await me(`${header}.${payload}.${flipped}`));
  });

  it('refuses an unknown kid, and a token signed by another key under the real kid', async () => {
    refusedAs401(await me(await sign(authKey.privateKey, randomUUID(), { exp: now() + 600 })));
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    refusedAs401(await me(await sign(privateKey, authKey.kid, { exp: now() + 600 })));
  });

  it('refuses alg: none, with and without a kid', async () => {
    const claims = Buffer.from(JSON.stringify({ sub: user.id, roles: ['hq_admin'], iss: 'x-auth', aud: 'x-platform', exp: now() + 600, iat: now() })).toString('base64url');
    for (const header of [{ alg: 'none', typ: 'at+jwt', kid: authKey.kid }, { alg: 'none', typ: 'JWT' }]) {
      refusedAs401(await me(`${Buffer.from(JSON.stringify(header)).toString('base64url')}.${claims}.`));
    }
  });

  it('refuses a refresh token used twice and then revokes the whole session family', async () => {
    const first = await client.loginDirect(user.email, password);
    const rotated = await client.post<{ refreshToken: string; accessToken: string }>('/auth/refresh', { refreshToken: first.refreshToken });
    expect(rotated.status).toBe(200);
    const replayed = await client.post<{ error: { code: string; message: string } }>('/auth/refresh', { refreshToken: first.refreshToken });
    expect(replayed.status).toBe(401);
    expect(replayed.body.error.code).toBe('UNAUTHENTICATED');
    // The thief's replay revoked the family: the legitimate holder's newer token no longer works either.
    const afterwards = await client.post<{ error: { code: string } }>('/auth/refresh', { refreshToken: rotated.body.refreshToken });
    expect(afterwards.status).toBe(401);
  });
});

describe('GraphQL abuse at :9090', () => {
  const nested = (depth: number) => `{ categories { ${'children { '.repeat(depth)}id${' }'.repeat(depth)} } }`;
  const aliases = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: __typename`).join(' ')} }`;

  it('refuses deep nesting, alias floods, huge lists and batches with their own codes while a normal query keeps being served', async () => {
    const abuse = async () => {
      const deep = await client.graphql(nested(40));
      const flood = await client.graphql(aliases(5_000));
      const huge = await client.graphql('{ stores(first: 10000) { edges { node { id name } } } }');
      const batch = await fetch(`${platform.urls.edge}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]) });
      return { deep, flood, huge, batch: { status: batch.status, body: (await batch.json()) as { errors?: { extensions?: { code?: string } }[] } } };
    };
    const normal = async () => client.graphql<{ categories: unknown[] }>('{ categories { id } }');
    const [abusive, served] = await Promise.all([Promise.all(Array.from({ length: 5 }, abuse)), Promise.all(Array.from({ length: 10 }, normal))]);
    for (const { deep, flood, huge, batch } of abusive) {
      expect(deep.status).toBe(400);
      expect(deep.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_DEEP');
      expect(flood.status).toBe(400);
      expect(flood.errors?.[0]?.extensions?.code).toBe('TOO_MANY_ALIASES');
      expect(huge.data ?? undefined).toBeUndefined();
      expect(['QUERY_TOO_COSTLY', 'BAD_USER_INPUT']).toContain(huge.errors?.[0]?.extensions?.code);
      expect(batch.status).toBe(400);
      expect(batch.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    }
    for (const answer of served) {
      expect(answer.errors).toBeUndefined();
      expect(Array.isArray(answer.data?.categories)).toBe(true);
    }
  });

  it('refuses a page of 1000 with a clear error (page maximum or cost limit) and no data', async () => {
    const answer = await client.graphql('{ stores(first: 1000) { edges { node { id } } } }');
    expect(answer.data ?? undefined).toBeUndefined();
    expect(['BAD_USER_INPUT', 'QUERY_TOO_COSTLY']).toContain(answer.errors?.[0]?.extensions?.code);
  });

  describe('a gateway in production mode', () => {
    let child: ChildProcess;
    let url: string;

    beforeAll(async () => {
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      const subgraphs = Object.fromEntries(Object.entries(platform.urls.services).map(([name, base]) => [`SUBGRAPH_URL_${name.toUpperCase().replace(/-/g, '_')}`, `${base}/graphql`]));
      child = spawn(process.execPath, [path.resolve(__dirname, '../../supergraph/dist/gateway.js')], {
        env: {
          ...process.env,
          ...subgraphs,
          NODE_ENV: 'production',
          PORT: String(port),
          REDIS_URL: 'redis://127.0.0.1:6379',
          AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
          GATEWAY_REDIS_KEY_PREFIX: `${platform.databasePrefix}prod:x:gateway:`,
          AUTH_JWKS_URL: `${platform.urls.services.auth}/auth/.well-known/jwks.json`,
        },
        stdio: 'ignore',
      });
      await until(async () => (await fetch(`${url}/ready`)).ok, (ok) => ok, 30_000);
    }, 40_000);

    afterAll(async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    });

    it('refuses introspection with a clear validation error and keeps answering ordinary queries', async () => {
      const introspection = await client.graphql('{ __schema { types { name } } }', {}, undefined, url);
      expect(introspection.status).toBe(400);
      expect(introspection.data ?? undefined).toBeUndefined();
      expect(introspection.errors?.[0]).toMatchObject({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED', validationErrorCode: 'INTROSPECTION_DISABLED' } });
      const typeProbe = await client.graphql('{ __type(name: "Order") { fields { name } } }', {}, undefined, url);
      expect(typeProbe.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      const ordinary = await client.graphql<{ categories: unknown[] }>('{ categories { id } }', {}, undefined, url);
      expect(ordinary.errors).toBeUndefined();
      expect(Array.isArray(ordinary.data?.categories)).toBe(true);
    });
  });
});

describe('injection-looking input is plain data', () => {
  it('stores and returns SQL- and Mongo-operator-looking display names verbatim, and finds nothing with them as filters', async () => {
    const names = ["'); DROP TABLE profiles; --", '{"$gt": ""}', 'Robert"); DELETE FROM accounts WHERE ("1"="1', '{"$where": "sleep(1000)"}'];
    for (const displayName of names) {
      const user = await client.account('customer', displayName);
      const answer = await until(
        () => client.gql<{ me: { profile: { displayName: string } | null } }>('{ me { profile { displayName } } }', {}, user.token),
        (value) => value.me.profile !== null,
      );
      expect(answer.me.profile?.displayName).toBe(displayName);
    }
    for (const city of ["' OR '1'='1", '{"$ne": null}', '%', '_']) {
      const found = await client.gql<{ stores: { edges: unknown[] } }>('query ($city: String) { stores(filter: { city: $city }) { edges { node { id } } } }', { city });
      expect(found.stores.edges).toEqual([]);
    }
    // The tables are still there: a new account gets its profile.
    const after = await client.account('customer', 'After the injection');
    await until(
      () => client.gql<{ me: { profile: { displayName: string } | null } }>('{ me { profile { displayName } } }', {}, after.token),
      (value) => value.me.profile?.displayName === 'After the injection',
    );
  });

  it('refuses operator objects where auth expects strings', async () => {
    const answer = await client.post<{ error: { code: string } }>('/auth/login', { email: { $gt: '' }, password: { $gt: '' } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('BAD_USER_INPUT');
  });
});

describe('login answers that do not tell accounts apart', () => {
  it('answers every unknown e-mail and every wrong password alike (timings printed: the work is proven equal in auth’s identity test)', async () => {
    // At auth itself: the edge's 10 logins a minute would not allow enough samples.
    const login = async (email: string, secret: string) => {
      const started = performance.now();
      const answer = await client.post('/auth/login', { email, password: secret }, undefined, platform.urls.services.auth);
      return { answer, ms: performance.now() - started };
    };
    const accounts = await Promise.all([1, 2].map(async () => {
      const email = `timing-${randomUUID().slice(0, 8)}@example.com`;
      expect((await client.post('/auth/register', { email, password }, undefined, platform.urls.services.auth)).status).toBe(201);
      return email;
    }));
    const samples = { unknownEmail: [] as number[], wrongPassword: [] as number[] };
    const answers = new Set<string>();
    // Four wrong passwords per account stay under the lock (five), which would answer 429 without verifying.
    for (let round = 0; round < 8; round += 1) {
      const unknownEmail = () => login(`nobody-${randomUUID().slice(0, 8)}@example.com`, 'not the password');
      const wrongPassword = () => login(accounts[round % 2]!, 'not the password');
      // Which goes first alternates: what the first of a pair may pay is kept out of the comparison.
      const unknownFirst = round % 2 === 0;
      const first = await (unknownFirst ? unknownEmail() : wrongPassword());
      const second = await (unknownFirst ? wrongPassword() : unknownEmail());
      const [unknown, wrong] = unknownFirst ? [first, second] : [second, first];
      samples.unknownEmail.push(unknown.ms);
      samples.wrongPassword.push(wrong.ms);
      for (const { answer } of [unknown, wrong]) answers.add(JSON.stringify(answer));
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!.toFixed(1);
    console.log(`login refusals at auth, median of 8 each: unknown e-mail ${median(samples.unknownEmail)} ms, wrong password ${median(samples.wrongPassword)} ms`);
    expect([...answers]).toEqual([JSON.stringify({ status: 401, body: { error: { code: 'UNAUTHENTICATED', message: 'wrong e-mail or password' } } })]);
  });
});

// Last: these spend the edge's per-address login and sign-up allowances (10 a minute each).
describe('login through :9090', () => {
  it('answers an unknown e-mail and a wrong password with the same status, code and message', async () => {
    const user = await client.account('customer');
    const unknown = await client.post('/auth/login', { email: `nobody-${randomUUID().slice(0, 8)}@example.com`, password });
    const wrong = await client.post('/auth/login', { email: user.email, password: 'not the password at all' });
    expect(unknown.status).toBe(401);
    expect(wrong).toEqual(unknown);
  });

  it('throttles an account after 5 failed logins, even for the right password, with 429 and Retry-After', async () => {
    const user = await client.account('customer');
    for (let attempt = 0; attempt < 5; attempt += 1) {
      expect((await client.post('/auth/login', { email: user.email, password: `wrong guess ${attempt}` })).status).toBe(401);
    }
    const response = await fetch(`${platform.urls.edge}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: user.email, password }) });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await response.json()) as { error?: { code: string } };
    expect(JSON.stringify(body)).toMatch(/TOO_MANY_REQUESTS|rate limit/i);
  });

  it('limits sign-ups per address at the edge like logins: 429 with Retry-After before two minutes’ allowance is spent', async () => {
    // Up to 21 sign-ups: a refusal comes even if a minute's window turns during the run (the exact count is the edge's own test).
    let refused: Response | undefined;
    for (let attempt = 0; attempt < 21 && !refused; attempt += 1) {
      const response = await fetch(`${platform.urls.edge}/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: `signup-${attempt}-${randomUUID().slice(0, 6)}@example.com`, password }),
      });
      if (response.status === 429) refused = response;
      else expect(response.status).toBe(201);
    }
    expect(refused?.status).toBe(429);
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('limits logins per address at the edge: the 11th within a minute gets 429', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 12; attempt += 1) {
      statuses.push((await client.post('/auth/login', { email: `nobody-${attempt}@example.com`, password: 'x' })).status);
    }
    expect(statuses).toContain(429);
    expect(statuses.slice(statuses.indexOf(429)).every((status) => status === 429)).toBe(true);
  });
});
