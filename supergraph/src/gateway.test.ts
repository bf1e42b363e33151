import { createHash, randomUUID } from 'node:crypto';
import { QueryPlanner } from '@apollo/query-planner';
import { createLogger, createMetrics, createTokenVerifier, startServiceServer, type ServiceServer } from '@x/kit';
import { GraphQLError, parse } from 'graphql';
import { Redis } from 'ioredis';
import { generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { startSubgraphHarness, type SubgraphHarness } from '../../test/support/subgraph-harness';
import { composeSupergraph } from './composition';
import { buildGateway, type GatewaySettings } from './gateway-server';

/** The gateway in-process over two small subgraphs: limits, budgets, APQ in Redis, dedupe, plans, masking. */

const catalogSdl = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Query { shops(first: Int): [Shop!]! shop(id: ID!): Shop }
  type Mutation { touch(id: ID!): Shop }
  type Shop @key(fields: "id") { id: ID! name: String! owner: Person }
  type Person { id: ID! name: String! friend: Person }
`;
const reviewsSdl = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Shop @key(fields: "id") { id: ID! rating: Int secret: String }
`;

const calls = { shops: 0, touch: 0 };
const shops = [
  { id: 's1', name: 'Bakery' },
  { id: 's2', name: 'Grocer' },
];
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let catalog: SubgraphHarness;
let reviews: SubgraphHarness;
let supergraphSdl: string;
let signingKey: KeyLike;
let verifyToken: ReturnType<typeof createTokenVerifier>;
const redis = new Redis({ lazyConnect: true });
const redisPrefix = `x-gateway-test-${randomUUID().slice(0, 8)}:`;
const clockMs = Date.UTC(2031, 4, 6, 12, 0, 10);

interface Running {
  server: ServiceServer;
  url: string;
  fetches: { sent: number; shared: number };
  close(): Promise<void>;
}

async function startGateway(overrides: Partial<GatewaySettings> & { production?: boolean } = {}): Promise<Running> {
  const log = createLogger('gateway-test', 'silent');
  const production = overrides.production ?? false;
  const built = buildGateway({
    supergraphSdl,
    production,
    log,
    verifyToken,
    redis,
    redisKeyPrefix: redisPrefix,
    limits: { maxDepth: 6, maxAliases: 4, maxCost: 500 },
    costBudgetPerMinute: 1_000,
    publicMaxAgeSeconds: 30,
    persistedQueryTtlSeconds: 600,
    queryPlanStoreMiB: 5,
    now: () => clockMs,
    ...overrides,
  });
  const server = await startServiceServer({
    name: 'gateway',
    host: '127.0.0.1',
    port: 0,
    production,
    log,
    metrics: createMetrics('gateway'),
    verifyToken,
    readiness: {},
    gateway: built.options,
    bodyLimitBytes: 4096,
  });
  return {
    server,
    url: server.url,
    fetches: built.fetches,
    close: async () => {
      await server.close();
      await built.close();
    },
  };
}

async function token(userId = randomUUID()): Promise<string> {
  return new SignJWT({ roles: ['customer'] })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k' })
    .setSubject(userId)
    .setIssuer('x-auth')
    .setAudience('x-platform')
    .setExpirationTime('10m')
    .sign(signingKey);
}

interface Answer {
  status: number;
  headers: Headers;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; path?: unknown[]; extensions?: Record<string, unknown> }[] };
}

async function post(gateway: Running, query: string, init: { variables?: Record<string, unknown>; headers?: Record<string, string>; extensions?: unknown } = {}): Promise<Answer> {
  const response = await fetch(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: JSON.stringify({ query, variables: init.variables, extensions: init.extensions }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Answer['body'] };
}

beforeAll(async () => {
  await redis.connect();
  const keys = await generateKeyPair('EdDSA');
  signingKey = keys.privateKey;
  verifyToken = createTokenVerifier({ jwksUrl: 'http://unused.invalid', issuer: 'x-auth', audience: 'x-platform' }, async () => keys.publicKey);
  catalog = await startSubgraphHarness({
    name: 'catalog',
    typeDefs: parse(catalogSdl),
    resolvers: {
      Query: {
        shops: async () => {
          calls.shops += 1;
          await pause(100);
          return shops;
        },
        shop: (_: unknown, { id }: { id: string }) => shops.find((shop) => shop.id === id) ?? null,
      },
      Mutation: {
        touch: async (_: unknown, { id }: { id: string }) => {
          calls.touch += 1;
          await pause(100);
          return shops.find((shop) => shop.id === id) ?? null;
        },
      },
      Shop: { owner: () => ({ id: 'p1', name: 'Ada' }), __resolveReference: (ref: { id: string }) => shops.find((shop) => shop.id === ref.id) },
      Person: { friend: () => ({ id: 'p2', name: 'Grace' }) },
    },
    context: (base) => base,
  });
  reviews = await startSubgraphHarness({
    name: 'reviews',
    typeDefs: parse(reviewsSdl),
    resolvers: {
      Shop: {
        __resolveReference: (ref: { id: string }) => ref,
        rating: () => 4,
        secret: () => {
          throw new GraphQLError("Duplicate entry 'x' for key 'PRIMARY' in INSERT INTO shops_secret", { extensions: { code: 'DATABASE_ERROR' } });
        },
      },
    },
    context: (base) => base,
  });
  const composed = composeSupergraph([
    { name: 'catalog', url: catalog.url, sdl: catalogSdl },
    { name: 'reviews', url: reviews.url, sdl: reviewsSdl },
  ]);
  if (!composed.ok) throw new Error(composed.errors.join('\n'));
  supergraphSdl = composed.supergraphSdl;
});

afterAll(async () => {
  await Promise.all([catalog.close(), reviews.close()]);
  const keys = await redis.keys(`${redisPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('gateway limits', () => {
  let gateway: Running;
  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway.close());
  beforeEach(() => {
    calls.shops = 0;
  });

  it('refuses a query deeper than the limit with QUERY_TOO_DEEP, before any subgraph is called', async () => {
    const answer = await post(gateway, '{ shops { owner { friend { friend { friend { friend { name } } } } } } }');
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]).toMatchObject({ extensions: { code: 'QUERY_TOO_DEEP', depth: 7, maxDepth: 6 } });
    expect(answer.body.errors?.[0]?.message).toBe('the query is 7 levels deep; at most 6 are allowed');
    expect(calls.shops).toBe(0);
  });

  it('refuses too many aliases with TOO_MANY_ALIASES', async () => {
    const answer = await post(gateway, '{ a: shops { id } b: shops { id } c: shops { id } d: shops { id } e: shops { id } }');
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]?.extensions).toMatchObject({ code: 'TOO_MANY_ALIASES', aliases: 5, maxAliases: 4 });
  });

  it('refuses a query whose estimated cost is over the limit, page sizes from variables included', async () => {
    const query = 'query Shops($n: Int) { shops(first: $n) { id name owner { name } } }';
    const cheap = await post(gateway, query, { variables: { n: 5 } });
    expect(cheap.body.errors).toBeUndefined();
    const costly = await post(gateway, query, { variables: { n: 200 } });
    expect(costly.status).toBe(400);
    expect(costly.body.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', cost: 801, maxCost: 500 });
  });

  it('refuses a request body over the limit with 413', async () => {
    const response = await fetch(`${gateway.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ shops { id } }${' '.repeat(5000)}` }) });
    expect(response.status).toBe(413);
  });

  it('spends each consumer’s cost budget: over it, 429 COST_BUDGET_EXCEEDED with Retry-After, other consumers unaffected', async () => {
    const spender = { authorization: `Bearer ${await token()}` };
    const query = 'query Shops($n: Int) { shops(first: $n) { id name owner { name } } }';
    const statuses: number[] = [];
    let last: Answer | undefined;
    for (let i = 0; i < 4; i += 1) {
      // 1 + 80 × 4 = 321 each: three fit in 1,000, the fourth does not.
      last = await post(gateway, query, { variables: { n: 80 }, headers: spender });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(last?.body.errors?.[0]?.extensions).toMatchObject({ code: 'COST_BUDGET_EXCEEDED', retryAfterSeconds: 50 });
    expect(last?.headers.get('retry-after')).toBe('50');
    const other = await post(gateway, query, { variables: { n: 80 }, headers: { authorization: `Bearer ${await token()}` } });
    expect(other.status).toBe(200);
  });
});

describe('gateway performance features', () => {
  let gateway: Running;
  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway.close());

  it('sends identical queries in flight at the same time to the subgraph once', async () => {
    calls.shops = 0;
    const before = { ...gateway.fetches };
    const answers = await Promise.all([post(gateway, '{ shops { id name } }'), post(gateway, '{ shops { id name } }'), post(gateway, '{ shops { id name } }')]);
    for (const answer of answers) expect(answer.body).toEqual({ data: { shops: shops.map(({ id, name }) => ({ id, name })) } });
    expect(calls.shops).toBe(1);
    expect(gateway.fetches.shared - before.shared).toBe(2);
  });

  it('never shares mutations', async () => {
    calls.touch = 0;
    await Promise.all([post(gateway, 'mutation { touch(id: "s1") { id } }'), post(gateway, 'mutation { touch(id: "s1") { id } }')]);
    expect(calls.touch).toBe(2);
  });

  it('keeps callers with different tokens apart when sharing', async () => {
    const before = { ...gateway.fetches };
    const [first, second] = [await token(), await token()];
    await Promise.all([
      post(gateway, '{ shops { id } }', { headers: { authorization: `Bearer ${first}` } }),
      post(gateway, '{ shops { id } }', { headers: { authorization: `Bearer ${second}` } }),
    ]);
    expect(gateway.fetches.sent - before.sent).toBe(2);
    expect(gateway.fetches.shared - before.shared).toBe(0);
  });

  it('plans a query once and reuses the plan', async () => {
    const planner = jest.spyOn(QueryPlanner.prototype, 'buildQueryPlan');
    try {
      const query = '{ shop(id: "s2") { name rating } }';
      for (let i = 0; i < 3; i += 1) expect((await post(gateway, query)).body).toEqual({ data: { shop: { name: 'Grocer', rating: 4 } } });
      expect(planner).toHaveBeenCalledTimes(1);
    } finally {
      planner.mockRestore();
    }
  });

  it('answers persisted queries from Redis, whichever replica learnt them', async () => {
    const query = '{ shop(id: "s1") { name } }';
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const extensions = { persistedQuery: { version: 1, sha256Hash } };
    const getUrl = (url: string) => `${url}/graphql?extensions=${encodeURIComponent(JSON.stringify(extensions))}`;
    const headers = { 'apollo-require-preflight': 'true' };

    const unknown = await fetch(getUrl(gateway.url), { headers });
    expect(((await unknown.json()) as Answer['body']).errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');

    await post(gateway, query, { extensions });
    const replica = await startGateway();
    try {
      const known = await fetch(getUrl(replica.url), { headers });
      expect(await known.json()).toEqual({ data: { shop: { name: 'Bakery' } } });
      // Anonymous GET of public data: the edge may cache it.
      expect(known.headers.get('cache-control')).toBe('max-age=30, public');
      const withToken = await fetch(getUrl(replica.url), { headers: { ...headers, authorization: `Bearer ${await token()}` } });
      expect(withToken.headers.get('cache-control')).toBe('no-store');
    } finally {
      await replica.close();
    }
  });
});

describe('gateway modes', () => {
  it('serves Apollo Sandbox in development: GET / leads to the landing page', async () => {
    const gateway = await startGateway();
    try {
      const response = await fetch(`${gateway.url}/`, { headers: { accept: 'text/html' } });
      expect(response.status).toBe(200);
      expect(response.url).toBe(`${gateway.url}/graphql`);
      expect(await response.text()).toMatch(/embeddable-sandbox|Apollo Sandbox/i);
    } finally {
      await gateway.close();
    }
  });

  describe('in production', () => {
    let gateway: Running;
    beforeAll(async () => {
      gateway = await startGateway({ production: true });
    });
    afterAll(() => gateway.close());

    it('turns introspection, the landing page and GET / off', async () => {
      const introspection = await post(gateway, '{ __schema { types { name } } }');
      expect(introspection.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      const landing = await fetch(`${gateway.url}/graphql`, { headers: { accept: 'text/html' } });
      expect(await landing.text()).not.toMatch(/sandbox/i);
      expect((await fetch(`${gateway.url}/`)).status).toBe(404);
    });

    it('masks what a subgraph lets slip (SQL text) and keeps errors meant for clients', async () => {
      const leaked = await post(gateway, '{ shop(id: "s1") { name secret } }');
      expect(leaked.body.data).toEqual({ shop: { name: 'Bakery', secret: null } });
      expect(leaked.body.errors).toEqual([{ message: 'internal error', path: ['shop', 'secret'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
      const tooDeep = await post(gateway, '{ shops { owner { friend { friend { friend { friend { name } } } } } } }');
      expect(tooDeep.body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_DEEP');
    });
  });
});

describe('a subgraph that is down', () => {
  it('yields partial data with an error for its fields, and the gateway keeps answering', async () => {
    const gateway = await startGateway({ production: true, subgraphUrl: (name, url) => (name === 'reviews' ? 'http://127.0.0.1:9/graphql' : url) });
    try {
      const answer = await post(gateway, '{ shops { name rating } }');
      expect(answer.status).toBe(200);
      expect(answer.body.data).toEqual({ shops: [{ name: 'Bakery', rating: null }, { name: 'Grocer', rating: null }] });
      // The client learns the missing fields may come back on a retry, and nothing about where they live.
      expect(answer.body.errors?.[0]).toMatchObject({ message: 'temporarily unavailable, retry shortly', extensions: { code: 'SERVICE_UNAVAILABLE' } });
      expect(JSON.stringify(answer.body)).not.toContain('127.0.0.1');
      expect((await post(gateway, '{ shops { name } }')).body).toEqual({ data: { shops: [{ name: 'Bakery' }, { name: 'Grocer' }] } });
    } finally {
      await gateway.close();
    }
  });
});
