import { randomUUID } from 'node:crypto';
import { createConnection, type Connection } from 'mariadb';
import { parseMysqlUrl } from '@x/kit';
import { clientOf, until } from '../support/client';
import { startTestPlatform, type TestPlatform } from '../support/platform';

/**
 * A dependency failing under traffic: one service's database unreachable (its /ready fails, its
 * requests get a clear error, the others carry on, and it recovers without a restart).
 */
let platform: TestPlatform;
let client: ReturnType<typeof clientOf>;
let sql: Connection;
let processExited: string | undefined;
let owner: { token: string; id: string };
let storeId: string;
let city: string;

beforeAll(async () => {
  platform = await startTestPlatform();
  void platform.exited.then(({ name }) => {
    processExited = name;
  });
  client = clientOf(platform);
  sql = await createConnection({ ...parseMysqlUrl(process.env.TEST_MYSQL_ADMIN_URL ?? 'mysql://root@127.0.0.1:3306/mysql'), database: undefined });
  const admin = await client.adminToken();
  owner = await client.account('store_owner');
  const category = await client.gql<{ createCategory: { id: string } }>('mutation ($input: CreateCategoryInput!) { createCategory(input: $input) { id } }', { input: { name: `Faults ${randomUUID().slice(0, 6)}` } }, admin);
  city = `Faultville-${randomUUID().slice(0, 6)}`;
  const store = await until(() =>
    client.gql<{ createStore: { id: string } }>(
      'mutation ($input: CreateStoreInput!) { createStore(input: $input) { id } }',
      { input: { name: 'Fault Bakery', city, location: { lat: 45.76, lng: 4.84 }, categoryIds: [category.createCategory.id], timeZone: 'Europe/Paris', openingHours: [{ weekday: 'MONDAY', intervals: [{ opens: '08:00', closes: '18:00' }] }] } },
      owner.token,
    ),
  );
  storeId = store.createStore.id;
  await client.gql('mutation ($id: ID!) { approveStore(id: $id) { id } }', { id: storeId }, admin);
  await until(() => client.gql('mutation ($input: CreatePickInput!) { createPick(input: $input) { id } }', { input: { storeId, name: 'Croissant', price: { amountMinor: 150, currency: 'EUR' }, stock: 10 } }, owner.token));
}, 150_000);

afterAll(async () => {
  await sql?.end();
  await platform?.teardown();
}, 60_000);

/** Sends `query` every 50 ms until stopped: the traffic kept going while a fault is in place. */
function traffic(send: () => Promise<{ ok: boolean }>) {
  const figures = { requests: 0, errors: 0, failures: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      figures.requests += 1;
      try {
        if (!(await send()).ok) figures.errors += 1;
      } catch {
        figures.failures += 1;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    figures,
    stop: async () => {
      running = false;
      await loop;
      return figures;
    },
  };
}

describe('a subgraph down', () => {
  it('answers the other subgraphs’ fields and nulls only the missing one’s, with an error (headquarter down: a store without its stats)', async () => {
    const admin = await client.adminToken();
    const query = 'query ($id: ID!) { store(id: $id) { name stats { deliveredOrders } } }';
    type Answer = { store: { name: string; stats: { deliveredOrders: number } | null } };
    const healthy = await client.graphql<Answer>(query, { id: storeId }, admin);
    expect(healthy.errors).toBeUndefined();
    await platform.crash('headquarter');
    try {
      const partial = await client.graphql<Answer>(query, { id: storeId }, admin);
      expect(partial.status).toBe(200);
      expect(partial.data?.store).toEqual({ name: 'Fault Bakery', stats: null });
      expect(partial.errors?.length).toBeGreaterThan(0);
      // The gateway reports the failed fetch without a path (Apollo gateway's way for a subgraph it cannot reach).
      console.log(`headquarter down: ${JSON.stringify(partial)}`);
    } finally {
      await platform.restart('headquarter');
    }
    const recovered = await until(() => client.graphql<Answer>(query, { id: storeId }, admin), (answer) => answer.errors === undefined);
    expect(recovered.data?.store.stats).not.toBeNull();
  }, 90_000);
});

describe("one service's database unreachable", () => {
  it('fails /ready of that service only, gives its callers a clear error, and recovers without a restart when the database is back', async () => {
    const database = `${platform.databasePrefix}x_store`;
    const user = database.slice(0, 32);
    const storeReady = () => fetch(`${platform.urls.services.store}/ready`).then((response) => response.status);
    expect(await storeReady()).toBe(200);
    const load = traffic(async () => ({ ok: (await client.graphql('{ me { id } }', {}, owner.token)).errors === undefined }));

    // The database refuses this service alone: its account is locked and its connections are cut.
    await sql.query('ALTER USER ?@? ACCOUNT LOCK', [user, '%']);
    const cut = async () => {
      const sessions = await sql.query<{ id: bigint }[]>('SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ?', [user]);
      for (const { id } of sessions) await sql.query(`KILL CONNECTION ${Number(id)}`).catch(() => undefined);
    };
    try {
      await cut();
      await until(async () => (await cut(), storeReady()), (status) => status === 503, 20_000);
      const others = await Promise.all(Object.entries(platform.urls.services).filter(([name]) => name !== 'store').map(async ([name, url]) => [name, (await fetch(`${url}/ready`)).status] as const));
      expect(others.filter(([, status]) => status !== 200)).toEqual([]);

      const refused = await client.graphql('mutation ($id: ID!) { updateStore(id: $id, input: { description: "while the DB is away" }) { id } }', { id: storeId }, owner.token);
      expect(refused.status).toBeLessThan(600);
      expect(refused.data?.updateStore ?? null).toBeNull();
      expect(refused.errors?.[0]?.extensions?.code).toMatch(/SERVICE_UNAVAILABLE|INTERNAL_SERVER_ERROR/);
      expect(refused.errors?.[0]?.message).not.toMatch(/password|mysql:\/\/|SELECT|at .*\.ts/i);
    } finally {
      await sql.query('ALTER USER ?@? ACCOUNT UNLOCK', [user, '%']);
    }
    await until(storeReady, (status) => status === 200, 30_000);
    const updated = await until(() => client.gql<{ updateStore: { id: string } }>('mutation ($id: ID!) { updateStore(id: $id, input: { description: "back" }) { id } }', { id: storeId }, owner.token));
    expect(updated.updateStore.id).toBe(storeId);
    const figures = await load.stop();
    console.log(`database of store unreachable: ${figures.requests} requests to other services meanwhile, ${figures.errors} answered with errors, ${figures.failures} failed`);
    expect(figures.errors + figures.failures).toBe(0);
    expect(processExited).toBeUndefined();
  }, 90_000);
});
