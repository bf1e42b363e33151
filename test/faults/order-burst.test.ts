import { randomUUID } from 'node:crypto';
import { createConnection, type Connection } from 'mariadb';
import { parseMysqlUrl } from '@x/kit';
import { closeBrokerConnectionsOf } from '../support/faults';
import { startTestPlatform, type TestPlatform } from '../support/platform';

/**
 * Issue 5's guarantee under faults: a burst of 500 orders while picks is killed with SIGKILL and
 * restarted, and order's and picks' broker connections are cut from the broker's side. Afterwards
 * every order is CONFIRMED exactly once, and exactly 500 units are reserved: nothing lost, nothing
 * applied twice. The counts are read straight from the services' databases.
 */
const orderCount = 500;
const inFlight = 8;

let platform: TestPlatform;
let sql: Connection;

beforeAll(async () => {
  platform = await startTestPlatform();
  sql = await createConnection({ ...parseMysqlUrl(process.env.TEST_MYSQL_ADMIN_URL ?? 'mysql://root@127.0.0.1:3306/mysql'), database: undefined });
}, 120_000);

afterAll(async () => {
  await sql?.end();
  await platform?.teardown();
}, 60_000);

async function post<T>(path: string, body: unknown, token?: string): Promise<T> {
  const response = await fetch(`${platform.urls.edge}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return (await response.json()) as T;
}

async function gql<T>(query: string, variables: Record<string, unknown>, token: string): Promise<T> {
  const answer = await post<{ data?: T; errors?: { message: string }[] }>('/graphql', { query, variables }, token);
  if (answer.errors?.length || !answer.data) throw new Error(answer.errors?.map((e) => e.message).join('; ') ?? 'no data');
  return answer.data;
}

async function retrying<T>(work: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await work();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function account(role: string): Promise<string> {
  const email = `${role}-${randomUUID().slice(0, 8)}@example.com`;
  await post('/auth/register', { email, password: 'correct horse battery', role });
  return (await post<{ accessToken: string }>('/auth/login', { email, password: 'correct horse battery' })).accessToken;
}

const db = (service: string) => `\`${platform.databasePrefix}x_${service}\``;

async function count(query: string): Promise<number> {
  const [row] = await sql.query<{ n: number | bigint }[]>(query);
  return Number(row?.n ?? 0);
}

it(`confirms all ${orderCount} orders exactly once through a consumer crash and broker connection cuts`, async () => {
  const admin = (await post<{ accessToken: string }>('/auth/login', platform.hqAdmin)).accessToken;
  const owner = await account('store_owner');
  const customer = await account('customer');
  const category = await gql<{ createCategory: { id: string } }>('mutation ($input: CreateCategoryInput!) { createCategory(input: $input) { id } }', { input: { name: `Burst ${randomUUID().slice(0, 6)}` } }, admin);
  const everyDay = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'].map((weekday) => ({ weekday, intervals: [{ opens: '00:00', closes: '24:00' }] }));
  const { createStore } = await retrying(() =>
    gql<{ createStore: { id: string } }>(
      'mutation ($input: CreateStoreInput!) { createStore(input: $input) { id } }',
      { input: { name: 'Burst store', city: 'Lyon', location: { lat: 45.76, lng: 4.83 }, categoryIds: [category.createCategory.id], timeZone: 'Europe/Paris', openingHours: everyDay } },
      owner,
    ),
  );
  await gql('mutation ($id: ID!) { approveStore(id: $id) { id } }', { id: createStore.id }, admin);
  const { createPick } = await retrying(() =>
    gql<{ createPick: { id: string } }>('mutation ($input: CreatePickInput!) { createPick(input: $input) { id } }', { input: { storeId: createStore.id, name: 'Plenty', price: { amountMinor: 100, currency: 'EUR' }, stock: 100_000 } }, owner),
  );

  const address = { recipient: 'Burst', lines: ['1 Rue'], city: 'Lyon', postalCode: '69001', country: 'FR' };
  let sent = 0;
  let clientErrors = 0;
  let connectionsCut = 0;
  const faults = new Map<number, () => Promise<void>>([
    [100, () => platform.crash('picks')],
    [200, async () => {
      connectionsCut += closeBrokerConnectionsOf(platform.pidOf('order')!);
    }],
    [300, () => platform.restart('picks')],
    [400, async () => {
      connectionsCut += closeBrokerConnectionsOf(platform.pidOf('picks')!) + closeBrokerConnectionsOf(platform.pidOf('order')!);
    }],
  ]);

  async function sender(): Promise<void> {
    while (sent < orderCount) {
      const index = sent++;
      await faults.get(index)?.();
      const key = `burst-${index}-${randomUUID().slice(0, 8)}`;
      const place = () =>
        gql('mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', { input: { storeId: createStore.id, lines: [{ pickId: createPick.id, quantity: 1 }], deliveryAddress: address, idempotencyKey: key } }, customer);
      // A client retries a failed request with the same idempotency key: never a second order.
      await place().catch(async () => {
        clientErrors += 1;
        await retrying(place);
      });
    }
  }
  await Promise.all(Array.from({ length: inFlight }, sender));

  const confirmedAll = async () => count(`SELECT COUNT(*) AS n FROM ${db('order')}.orders WHERE status = 'CONFIRMED'`);
  const unsent = async () =>
    (await count(`SELECT COUNT(*) AS n FROM ${db('order')}.outbox WHERE sent_at IS NULL`)) + (await count(`SELECT COUNT(*) AS n FROM ${db('picks')}.outbox WHERE sent_at IS NULL`));
  const deadline = Date.now() + 120_000;
  while (((await confirmedAll()) < orderCount || (await unsent()) > 0) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 500));

  const figures = {
    ordersSent: orderCount,
    clientErrors,
    connectionsCut,
    ordersStored: await count(`SELECT COUNT(*) AS n FROM ${db('order')}.orders`),
    ordersConfirmed: await confirmedAll(),
    confirmTransitions: await count(`SELECT COUNT(*) AS n FROM ${db('order')}.order_status_changes WHERE to_status = 'CONFIRMED'`),
    reservations: await count(`SELECT COUNT(*) AS n FROM ${db('picks')}.reservations`),
    unitsReserved: await count(`SELECT reserved AS n FROM ${db('picks')}.picks WHERE id = '${createPick.id}'`),
    unsentOutboxRows: await unsent(),
  };
  process.stdout.write(`order burst under faults: ${JSON.stringify(figures)}\n`);

  expect(figures.ordersStored).toBe(orderCount);
  expect(figures.ordersConfirmed).toBe(orderCount);
  expect(figures.confirmTransitions).toBe(orderCount);
  expect(figures.reservations).toBe(orderCount);
  expect(figures.unitsReserved).toBe(orderCount);
  expect(figures.unsentOutboxRows).toBe(0);
  expect(figures.connectionsCut).toBeGreaterThan(0);
}, 300_000);
