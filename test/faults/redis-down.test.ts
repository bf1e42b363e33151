import { createHash, randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { clientOf, password, until } from '../support/client';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';

/**
 * Redis lost under traffic, twice: first cut off (connections reset, new ones refused, as when Redis
 * dies), then partitioned away (connections stay open and nothing answers, as when the network drops
 * packets or Redis hangs). Every process reaches Redis through a proxy the test cuts. What each user of
 * Redis promises without it, and what this test checks:
 * - auth: logins work; failed logins are counted in the process, with the same limit (a lock taken
 *   meanwhile survives Redis's return: the counts go back to Redis);
 * - edge: serves every route, rate limits fail open to counters of its own that still enforce the limit,
 *   and hands what it counted to Redis when it is back (its proxy cache is in memory: untouched);
 * - gateway: answers queries and mutations; persisted queries miss (the client sends the full query)
 *   and cost budgets are counted per replica;
 * - headquarter (its KPIs live in Redis): its /ready fails and Store.stats errors, the events it could not
 *   apply are retried, none parked, and the KPIs catch up once Redis is back.
 * No process exits, nothing answers 5xx.
 */
let proxy: TcpProxy;
let platform: TestPlatform;
let client: ReturnType<typeof clientOf>;
let redis: Redis;
let processExited: string | undefined;
let admin: string;
let storeId: string;
let pickId: string;
/** traffic: the background traffic's caller; burst: the one whose per-token limit is spent; customer: logs in and orders. */
let users: Record<'traffic' | 'burst' | 'customer', Awaited<ReturnType<ReturnType<typeof clientOf>['account']>>>;

beforeAll(async () => {
  proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
  platform = await startTestPlatform({ redisUrl: `redis://${proxy.address}` });
  void platform.exited.then(({ name }) => {
    processExited = name;
  });
  client = clientOf(platform);
  redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
  await redis.connect();
  admin = await client.adminToken();
  const [traffic, burst, customer, owner] = await Promise.all([client.account('customer'), client.account('customer'), client.account('customer'), client.account('store_owner')]);
  users = { traffic, burst, customer };
  const category = await client.gql<{ createCategory: { id: string } }>('mutation ($input: CreateCategoryInput!) { createCategory(input: $input) { id } }', { input: { name: `Redis ${randomUUID().slice(0, 6)}` } }, admin);
  const everyDay = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'].map((weekday) => ({ weekday, intervals: [{ opens: '00:00', closes: '24:00' }] }));
  const store = await until(() =>
    client.gql<{ createStore: { id: string } }>(
      'mutation ($input: CreateStoreInput!) { createStore(input: $input) { id } }',
      { input: { name: 'Redisless Bakery', city: 'Lyon', location: { lat: 45.76, lng: 4.84 }, categoryIds: [category.createCategory.id], timeZone: 'Europe/Paris', openingHours: everyDay } },
      owner.token,
    ),
  );
  storeId = store.createStore.id;
  await client.gql('mutation ($id: ID!) { approveStore(id: $id) { id } }', { id: storeId }, admin);
  const pick = await until(() =>
    client.gql<{ createPick: { id: string } }>('mutation ($input: CreatePickInput!) { createPick(input: $input) { id } }', { input: { storeId, name: 'Brioche', price: { amountMinor: 300, currency: 'EUR' }, stock: 50 } }, owner.token),
  );
  pickId = pick.createPick.id;
}, 150_000);

afterAll(async () => {
  traffic.running = false;
  await trafficLoop;
  proxy?.restore();
  redis?.disconnect();
  await platform?.teardown();
  await proxy?.close();
}, 60_000);

const sha256 = (value: string, encoding: 'hex' | 'base64url' = 'hex') => createHash('sha256').update(value).digest(encoding);
const authKey = (email: string) => `${platform.databasePrefix}x:auth:login-failures:account:${sha256(email)}`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/** Logs in at auth itself: the edge's 10 logins a minute per address would not last this test. */
const loginAtAuth = (email: string, secret: string) => client.post<{ error?: { code: string } }>('/auth/login', { email, password: secret }, undefined, platform.urls.services.auth);

/** Wrong passwords until auth answers 429; returns how many it refused with 401 first. */
async function failuresUntilLocked(email: string): Promise<number> {
  for (let failures = 0; failures < 12; failures += 1) {
    const { status } = await loginAtAuth(email, `wrong guess ${failures}`);
    if (status === 429) return failures;
    expect(status).toBe(401);
  }
  throw new Error(`${email} was never locked`);
}

async function newAccount(): Promise<string> {
  const email = `throttled-${randomUUID().slice(0, 8)}@example.com`;
  expect((await client.post('/auth/register', { email, password }, undefined, platform.urls.services.auth)).status).toBe(201);
  return email;
}

/** Every process's readiness: status and, when not ready, the checks that failed. */
async function readiness(): Promise<Record<string, string>> {
  const probes: [string, string][] = [
    ...Object.entries(platform.urls.services).map(([name, url]): [string, string] => [name, `${url}/ready`]),
    ...platform.urls.gatewayReplicas.map((url, index): [string, string] => [index === 0 ? 'gateway' : `gateway-${index + 1}`, `${url}/ready`]),
    ['edge', `${platform.urls.edge}/__edge/ready`],
  ];
  const answers = await Promise.all(
    probes.map(async ([name, url]) => {
      const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      const body = (await response.json()) as { checks?: Record<string, string> };
      const failed = Object.entries(body.checks ?? {}).filter(([, outcome]) => outcome !== 'ok');
      return [name, failed.length ? `${response.status} (${failed.map(([check, outcome]) => `${check}: ${outcome}`).join('; ')})` : String(response.status)] as const;
    }),
  );
  return Object.fromEntries(answers);
}

/** Persisted queries (APQ) through the edge: the hash alone, then the query with its hash. */
function persistedQuery(query: string, token: string) {
  const extensions = { persistedQuery: { version: 1, sha256Hash: sha256(query) } };
  const codeOf = async (body: Record<string, unknown>) => {
    const answer = await client.post<{ data?: unknown; errors?: { extensions?: { code?: string } }[] }>('/graphql', body, token);
    expect(answer.status).toBeLessThan(500);
    return answer.body.errors?.[0]?.extensions?.code ?? (answer.body.data ? 'ok' : 'no data');
  };
  return { byHash: () => codeOf({ extensions }), withQuery: () => codeOf({ query, extensions }) };
}

/** `{ __typename }` with one token, many at once, until the edge refuses some: its per-token limit (50 a second) holds. */
async function burstUntilLimited(token: string): Promise<{ passed: number; limited: number; serverErrors: number }> {
  const figures = { passed: 0, limited: 0, serverErrors: 0 };
  for (let round = 0; round < 5 && figures.limited === 0; round += 1) {
    const statuses = await Promise.all(Array.from({ length: 70 }, async () => (await client.graphql('{ __typename }', {}, token)).status));
    figures.passed += statuses.filter((status) => status === 200).length;
    figures.limited += statuses.filter((status) => status === 429).length;
    figures.serverErrors += statuses.filter((status) => status >= 500).length;
  }
  return figures;
}

/** The sum of the edge's per-minute counters in Redis for this token on /graphql. */
async function edgeMinuteCount(token: string): Promise<number> {
  const keys = await redis.keys(`${platform.databasePrefix}ratelimit:graphql-authenticated:gateway:${sha256(`Bearer ${token}`, 'base64url')}:*:minute`);
  const values = keys.length ? await redis.mget(...keys) : [];
  return values.reduce((sum, value) => sum + Number(value ?? 0), 0);
}

async function hqMetric(outcome: string): Promise<number> {
  const text = await (await fetch(`${platform.urls.services.headquarter}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('events_consumed_total{') && line.includes(`outcome="${outcome}"`))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

const storeStats = (token: string) => client.graphql<{ store: { name: string; stats: { orders: number } | null } }>('query ($id: ID!) { store(id: $id) { name stats { orders } } }', { id: storeId }, token);

/** Queries and mutations through :9090, one every 50 ms, each request's outcome and latency kept per phase. */
const traffic = {
  phase: 'Redis up',
  figures: { requests: 0, clientErrors: 0, serverErrors: 0, failures: 0 },
  latencies: new Map<string, number[]>(),
  running: true,
};
const operations = [
  () => client.graphql('{ categories { id } }'),
  () => client.graphql('{ me { id email profile { displayName } } }', {}, users.traffic.token),
  () => client.graphql('mutation ($input: UpdateProfileInput!) { updateProfile(input: $input) { bio } }', { input: { bio: `bio ${traffic.figures.requests}` } }, users.traffic.token),
];
let trafficLoop: Promise<void> | undefined;
function startTraffic(): void {
  trafficLoop = (async () => {
    for (let sent = 0; traffic.running; sent += 1) {
      const started = Date.now();
      traffic.figures.requests += 1;
      try {
        const answer = await operations[sent % operations.length]!();
        if (answer.status >= 500) traffic.figures.serverErrors += 1;
        else if (answer.status >= 400 || answer.errors) traffic.figures.clientErrors += 1;
      } catch {
        traffic.figures.failures += 1;
      }
      const latencies = traffic.latencies.get(traffic.phase) ?? [];
      traffic.latencies.set(traffic.phase, [...latencies, Date.now() - started]);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
}

const baseline = { failuresBeforeLock: 0 };
const outage = { lockedEmail: '', failuresBeforeLock: 0, burst: { passed: 0, limited: 0, serverErrors: 0 }, retriedBefore: 0 };
const report: Record<string, unknown> = {};

describe('Redis cut off, then partitioned away, under traffic', () => {
  it('with Redis up: locks an account after N failed logins, and persisted queries are kept', async () => {
    startTraffic();
    baseline.failuresBeforeLock = await failuresUntilLocked(await newAccount());
    expect(Object.values(await readiness()).every((status) => status === '200')).toBe(true);
    const apq = persistedQuery('query RedisUp { me { id } }', users.customer.token);
    expect(await apq.byHash()).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(await apq.withQuery()).toBe('ok');
    expect(await apq.byHash()).toBe('ok');
    report.limitWithRedis = `${baseline.failuresBeforeLock} failed logins, then 429`;
  }, 30_000);

  it('with Redis cut off: logins, throttling, the edge and its limits, queries, mutations and the order saga keep working as stated', async () => {
    outage.retriedBefore = await hqMetric('retried');
    traffic.phase = 'Redis cut off';
    proxy.cut('refuse');

    // auth: a correct password logs in through the edge; the same number of failures locks an account, counted in auth alone.
    const login = await client.post<{ accessToken?: string }>('/auth/login', { email: users.customer.email, password });
    expect(login.status).toBe(200);
    expect(login.body.accessToken).toEqual(expect.any(String));
    outage.lockedEmail = await newAccount();
    outage.failuresBeforeLock = await failuresUntilLocked(outage.lockedEmail);
    expect(outage.failuresBeforeLock).toBe(baseline.failuresBeforeLock);
    expect((await loginAtAuth(outage.lockedEmail, password)).status).toBe(429);
    expect(await redis.exists(authKey(outage.lockedEmail))).toBe(0);

    // edge: /auth and /graphql answer, and the per-token limit still holds on the edge's own counters.
    outage.burst = await burstUntilLimited(users.burst.token);
    expect(outage.burst.limited).toBeGreaterThan(0);
    expect(outage.burst.serverErrors).toBe(0);
    expect((await client.post('/auth/refresh', { refreshToken: 'x'.repeat(43) })).status).toBe(401);

    // gateway: a persisted query misses and is not kept, the full query is answered.
    const apq = persistedQuery('query RedisCut { me { id } }', users.customer.token);
    expect(await apq.byHash()).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(await apq.withQuery()).toBe('ok');
    expect(await apq.byHash()).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(await persistedQuery('query RedisUp { me { id } }', users.customer.token).byHash()).toBe('PERSISTED_QUERY_NOT_FOUND');

    // The saga needs no Redis; headquarter cannot apply the order's KPIs and retries those events.
    const placed = await client.gql<{ placeOrder: { id: string } }>(
      'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
      { input: { storeId, lines: [{ pickId, quantity: 1 }], deliveryAddress: { recipient: 'R', lines: ['1 Rue'], city: 'Lyon', postalCode: '69001', country: 'FR' }, idempotencyKey: randomUUID() } },
      users.customer.token,
    );
    await until(() => client.gql<{ order: { status: string } }>('query ($id: ID!) { order(id: $id) { status } }', { id: placed.placeOrder.id }, users.customer.token), (answer) => answer.order.status === 'CONFIRMED');
    const stats = await storeStats(admin);
    expect(stats.status).toBe(200);
    expect(stats.data?.store).toEqual({ name: 'Redisless Bakery', stats: null });
    expect(stats.errors?.map((error) => error.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);

    const ready = await readiness();
    expect(ready.headquarter).toMatch(/^503 \(redis: /);
    expect(Object.entries(ready).filter(([name, status]) => name !== 'headquarter' && status !== '200')).toEqual([]);
    report.readyWithRedisCutOff = ready;
    report.storeStatsWithRedisCutOff = stats.errors?.[0]?.message;
  }, 60_000);

  it('when Redis is back: counts go back to it (the lock taken meanwhile holds), persisted queries are kept again, headquarter catches up with nothing parked', async () => {
    proxy.restore();
    traffic.phase = 'Redis back';

    // auth hands the failures it counted to Redis: the account stays locked, and Redis holds the count.
    const locked = await until(
      async () => ({ status: (await loginAtAuth(outage.lockedEmail, password)).status, count: await redis.get(authKey(outage.lockedEmail)) }),
      (now) => now.count !== null,
      20_000,
    );
    expect(locked).toEqual({ status: 429, count: String(outage.failuresBeforeLock) });
    const fresh = await newAccount();
    expect((await loginAtAuth(fresh, 'one wrong guess')).status).toBe(401);
    expect(await redis.get(authKey(fresh))).toBe('1');

    // The edge sends what it counted during the outage.
    const edgeCount = await until(() => edgeMinuteCount(users.burst.token), (count) => count >= outage.burst.passed, 20_000);
    expect(edgeCount).toBeGreaterThanOrEqual(outage.burst.passed);

    // The gateway keeps persisted queries and counts cost budgets in Redis again.
    const apq = persistedQuery('query RedisBack { me { id } }', users.customer.token);
    await until(async () => (await apq.withQuery(), apq.byHash()), (code) => code === 'ok', 20_000);
    const costKey = () => `${platform.databasePrefix}x:gateway:cost:user:${users.traffic.id}:${Math.floor(Date.now() / 60_000)}`;
    const before = { key: costKey(), cost: Number(await redis.get(costKey())) };
    await until(
      async () => ({ key: costKey(), cost: Number(await redis.get(costKey())) }),
      (now) => now.cost > (now.key === before.key ? before.cost : 0),
      20_000,
    );

    // headquarter is ready again and applies the order it could not count during the outage, once.
    await until(readiness, (ready) => ready.headquarter === '200', 30_000);
    const stats = await until(() => storeStats(admin), (answer) => answer.data?.store.stats?.orders === 1, 45_000);
    expect(stats.errors).toBeUndefined();
    const retried = (await hqMetric('retried')) - outage.retriedBefore;
    expect(retried).toBeGreaterThan(0);
    expect(await hqMetric('dead-lettered')).toBe(0);
    const connection = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
    try {
      const channel = await connection.createChannel();
      expect((await channel.checkQueue(`${platform.exchange}.headquarter.dlq`)).messageCount).toBe(0);
    } finally {
      await connection.close();
    }
    report.headquarterEventsRetried = retried;
    report.edgeCountedDuringOutage = { passed: outage.burst.passed, limited: outage.burst.limited, inRedisAfterwards: edgeCount };
  }, 90_000);

  it('with Redis partitioned away (connections open, nothing answers): logins and GraphQL answer instead of waiting on Redis, and all recovers', async () => {
    await until(readiness, (ready) => Object.values(ready).every((status) => status === '200'), 20_000);
    traffic.phase = 'Redis partitioned';
    proxy.partition();
    try {
      const logins: number[] = [];
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const started = Date.now();
        expect((await loginAtAuth(users.customer.email, password)).status).toBe(200);
        logins.push(Date.now() - started);
      }
      expect((await client.post('/auth/login', { email: users.customer.email, password })).status).toBe(200);
      const answer = await client.graphql<{ me: { id: string } }>('{ me { id } }', {}, users.customer.token);
      expect(answer.data?.me.id).toBe(users.customer.id);
      const ready = await readiness();
      expect(ready.headquarter).toMatch(/^503 \(redis: /);
      expect(Object.entries(ready).filter(([name, status]) => name !== 'headquarter' && status !== '200')).toEqual([]);
      report.readyWithRedisPartitioned = ready;
      report.loginAtAuthWithRedisPartitionedMs = median(logins);
    } finally {
      proxy.restore();
      traffic.phase = 'Redis back after the partition';
    }
    await until(readiness, (ready) => Object.values(ready).every((status) => status === '200'), 30_000);
    const fresh = await newAccount();
    await until(async () => (await loginAtAuth(fresh, 'one wrong guess'), redis.get(authKey(fresh))), (count) => count !== null, 20_000);
  }, 60_000);

  it('kept every request of the traffic answered without a 5xx, and no process exited', async () => {
    traffic.running = false;
    await trafficLoop;
    const latencies = Object.fromEntries([...traffic.latencies].map(([phase, values]) => [phase, `${values.length} requests, median ${median(values)} ms, max ${Math.max(...values)} ms`]));
    console.log(`Redis down: ${JSON.stringify({ traffic: traffic.figures, latencies, ...report, proxy: proxy.counts }, null, 2)}`);
    expect(traffic.figures.serverErrors).toBe(0);
    expect(traffic.figures.failures).toBe(0);
    expect(traffic.figures.clientErrors).toBe(0);
    expect(processExited).toBeUndefined();
  });
});
