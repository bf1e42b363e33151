import { randomUUID } from 'node:crypto';
import { startTestPlatform, type TestPlatform } from '../support/platform';

/**
 * The order saga through :9090 with four real accounts (customer, store owner, courier, hq_admin):
 * order, picks, order-delivery and headquarter joined only by events.
 */
let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform();
}, 120_000);

afterAll(async () => {
  await platform?.teardown();
}, 60_000);

interface Answer<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function post<T>(path: string, body: unknown, token?: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${platform.urls.edge}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

async function gql<T>(query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const { body } = await post<Answer<T>>('/graphql', { query, variables }, token);
  if (body.errors?.length || !body.data) throw new Error(body.errors?.map((e) => `${e.extensions?.code}: ${e.message}`).join('; ') ?? 'no data');
  return body.data;
}

async function codeOf(query: string, variables: Record<string, unknown>, token?: string): Promise<string | undefined> {
  const { body } = await post<Answer<unknown>>('/graphql', { query, variables }, token);
  return body.errors?.[0]?.extensions?.code;
}

/** The services catch up with each other through events: retry until the answer is what we wait for. */
async function until<T>(attempt: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let value: T | undefined;
    try {
      value = await attempt();
      if (accept(value)) return value;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`condition not met in time; last answer ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

const password = 'correct horse battery';

async function account(role: 'customer' | 'store_owner' | 'courier'): Promise<{ token: string; id: string }> {
  const email = `${role}-${randomUUID().slice(0, 8)}@example.com`;
  const registered = await post<{ user: { id: string } }>('/auth/register', { email, password, role });
  expect(registered.status).toBe(201);
  const login = await post<{ accessToken: string }>('/auth/login', { email, password });
  return { token: login.body.accessToken, id: registered.body.user.id };
}

const storeLocation = { lat: 48.8566, lng: 2.3522 };
const address = { recipient: 'Carla', lines: ['10 Rue de Rivoli'], city: 'Paris', postalCode: '75004', country: 'FR', location: { lat: 48.857, lng: 2.36 }, phone: null };
const orderFields = 'id status totalMinor currency lines { quantity unitPriceMinor } rejection { reason lines { pickId reason requested available } }';

let admin: string;
let owner: { token: string; id: string };
let courier: { token: string; id: string };
let storeId: string;
let bread: string;
let lastCake: string;

async function createPick(name: string, amountMinor: number, stock: number): Promise<string> {
  const created = await until(
    () => gql<{ createPick: { id: string } }>('mutation ($input: CreatePickInput!) { createPick(input: $input) { id } }', { input: { storeId, name, price: { amountMinor, currency: 'EUR' }, stock } }, owner.token),
    () => true,
  );
  return created.createPick.id;
}

async function pickStock(pickId: string) {
  return (await gql<{ pick: { stock: number; reserved: number } }>('query ($id: ID!) { pick(id: $id) { stock reserved } }', { id: pickId }, owner.token)).pick;
}

async function place(customer: string, lines: { pickId: string; quantity: number }[]) {
  const placed = await gql<{ placeOrder: { id: string; status: string } }>(
    `mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }`,
    { input: { storeId, lines, deliveryAddress: address, idempotencyKey: randomUUID() } },
    customer,
  );
  return placed.placeOrder;
}

const orderOf = (id: string, token: string) => gql<{ order: { id: string; status: string; totalMinor: number | null; rejection: { reason: string; lines: { reason: string }[] } | null } }>(`query ($id: ID!) { order(id: $id) { ${orderFields} } }`, { id }, token).then((answer) => answer.order);
const untilStatus = (id: string, token: string, ...statuses: string[]) => until(() => orderOf(id, token), (order) => statuses.includes(order.status));

beforeAll(async () => {
  admin = (await post<{ accessToken: string }>('/auth/login', platform.hqAdmin)).body.accessToken;
  owner = await account('store_owner');
  courier = await account('courier');
  const category = await gql<{ createCategory: { id: string } }>('mutation ($input: CreateCategoryInput!) { createCategory(input: $input) { id } }', { input: { name: `Bakery ${randomUUID().slice(0, 6)}` } }, admin);
  const everyDay = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'].map((weekday) => ({ weekday, intervals: [{ opens: '00:00', closes: '24:00' }] }));
  const store = await until(
    () =>
      gql<{ createStore: { id: string } }>(
        'mutation ($input: CreateStoreInput!) { createStore(input: $input) { id } }',
        { input: { name: 'Saga Bakery', city: 'Paris', location: storeLocation, categoryIds: [category.createCategory.id], timeZone: 'Europe/Paris', openingHours: everyDay } },
        owner.token,
      ),
    () => true,
  );
  storeId = store.createStore.id;
  await gql('mutation ($id: ID!) { approveStore(id: $id) { id } }', { id: storeId }, admin);
  bread = await createPick('Bread', 250, 10);
  lastCake = await createPick('Last cake', 900, 1);
}, 60_000);

describe('the order saga through :9090', () => {
  it('walks place → reserved → confirmed → preparing → ready → claimed → picked up → delivered, and order, delivery, stock and KPIs agree', async () => {
    const customer = await account('customer');
    const placed = await place(customer.token, [
      { pickId: bread, quantity: 2 },
      { pickId: bread, quantity: 1 },
    ]);
    expect(placed.status).toBe('PENDING');
    const confirmed = await untilStatus(placed.id, customer.token, 'CONFIRMED');
    expect(confirmed.totalMinor).toBe(750);
    // Two lines of the same pick are reserved as their sum.
    expect(await pickStock(bread)).toEqual({ stock: 10, reserved: 3 });

    await gql('mutation ($id: ID!) { acceptOrder(id: $id) { status } }', { id: placed.id }, owner.token);
    await gql('mutation ($id: ID!) { markOrderReady(id: $id) { status } }', { id: placed.id }, owner.token);

    const nearby = await until(
      () => gql<{ openDeliveries: { delivery: { id: string; order: { id: string } } }[] }>('query ($near: GeoPointInput!) { openDeliveries(near: $near, radiusKm: 5) { delivery { id order { id } } } }', { near: storeLocation }, courier.token),
      (answer) => answer.openDeliveries.some((entry) => entry.delivery.order.id === placed.id),
    );
    const deliveryId = nearby.openDeliveries.find((entry) => entry.delivery.order.id === placed.id)!.delivery.id;
    await gql('mutation ($id: ID!) { claimDelivery(id: $id) { status } }', { id: deliveryId }, courier.token);
    await until(() => gql('mutation ($id: ID!) { markPickedUp(id: $id) { status } }', { id: deliveryId }, courier.token), () => true);
    await untilStatus(placed.id, customer.token, 'OUT_FOR_DELIVERY');
    expect(await codeOf('mutation ($id: ID!) { cancelOrder(id: $id) { status } }', { id: placed.id }, customer.token)).toBe('CONFLICT');
    await gql('mutation ($id: ID!) { markDelivered(id: $id) { status } }', { id: deliveryId }, courier.token);
    await untilStatus(placed.id, customer.token, 'DELIVERED');

    const full = await gql<{ order: { history: { to: string }[]; delivery: { status: string; courier: { id: string } } } }>(
      'query ($id: ID!) { order(id: $id) { history { to } delivery { status courier { id } } } }',
      { id: placed.id },
      customer.token,
    );
    expect(full.order.history.map((change) => change.to)).toEqual(['PENDING', 'CONFIRMED', 'PREPARING', 'READY_FOR_PICKUP', 'OUT_FOR_DELIVERY', 'DELIVERED']);
    expect(full.order.delivery).toEqual({ status: 'DELIVERED', courier: { id: courier.id } });
    await until(() => pickStock(bread), (stock) => stock.stock === 7 && stock.reserved === 0);
    const stats = await until(
      () => gql<{ store: { stats: { deliveredOrders: number; revenue: { amountMinor: number; currency: string }[] } } }>('query ($id: ID!) { store(id: $id) { stats { deliveredOrders revenue { amountMinor currency } } } }', { id: storeId }, admin),
      (answer) => answer.store.stats.deliveredOrders === 1,
    );
    expect(stats.store.stats.revenue).toEqual([{ amountMinor: 750, currency: 'EUR' }]);
  });

  it('rejects an order picks cannot fill, with the reason per line, and changes no stock', async () => {
    const customer = await account('customer');
    const before = await pickStock(bread);
    const placed = await place(customer.token, [{ pickId: bread, quantity: 500 }]);
    const rejected = await untilStatus(placed.id, customer.token, 'REJECTED');
    expect(rejected.rejection).toMatchObject({ reason: 'STOCK_REJECTED', lines: [{ reason: 'OUT_OF_STOCK' }] });
    expect(await pickStock(bread)).toEqual(before);
  });

  it('confirms exactly one of two customers racing for the last item', async () => {
    const [first, second] = await Promise.all([account('customer'), account('customer')]);
    const orders = await Promise.all([first, second].map((customer) => place(customer.token, [{ pickId: lastCake, quantity: 1 }])));
    const outcomes = await Promise.all(orders.map((order, index) => untilStatus(order.id, [first, second][index]!.token, 'CONFIRMED', 'REJECTED')));
    expect(outcomes.map((order) => order.status).sort()).toEqual(['CONFIRMED', 'REJECTED']);
    expect(await pickStock(lastCake)).toEqual({ stock: 1, reserved: 1 });
    // The winner cancels: the cake is back on the shelf.
    const winner = outcomes.findIndex((order) => order.status === 'CONFIRMED');
    await gql('mutation ($id: ID!) { cancelOrder(id: $id, reason: "changed my mind") { status } }', { id: orders[winner]!.id }, [first, second][winner]!.token);
    await until(() => pickStock(lastCake), (stock) => stock.reserved === 0);
  });

  it('releases the stock and creates no delivery when the store declines a confirmed order', async () => {
    const customer = await account('customer');
    const placed = await place(customer.token, [{ pickId: bread, quantity: 1 }]);
    await untilStatus(placed.id, customer.token, 'CONFIRMED');
    const reserved = (await pickStock(bread)).reserved;
    await gql('mutation ($id: ID!) { declineOrder(id: $id, reason: "oven broke") { status } }', { id: placed.id }, owner.token);
    expect((await orderOf(placed.id, customer.token)).rejection).toMatchObject({ reason: 'DECLINED_BY_STORE' });
    await until(() => pickStock(bread), (stock) => stock.reserved === reserved - 1);
    const order = await gql<{ order: { delivery: unknown } }>('query ($id: ID!) { order(id: $id) { delivery { id } } }', { id: placed.id }, customer.token);
    expect(order.order.delivery).toBeNull();
  });

  it('cancels before pick-up: stock released and the requested delivery cancelled', async () => {
    const customer = await account('customer');
    const placed = await place(customer.token, [{ pickId: bread, quantity: 1 }]);
    await untilStatus(placed.id, customer.token, 'CONFIRMED');
    await gql('mutation ($id: ID!) { acceptOrder(id: $id) { status } }', { id: placed.id }, owner.token);
    await until(
      () => gql<{ order: { delivery: { status: string } | null } }>('query ($id: ID!) { order(id: $id) { delivery { status } } }', { id: placed.id }, customer.token),
      (answer) => answer.order.delivery?.status === 'REQUESTED',
    );
    const reserved = (await pickStock(bread)).reserved;
    await gql('mutation ($id: ID!) { cancelOrder(id: $id) { status } }', { id: placed.id }, customer.token);
    await until(
      () => gql<{ order: { delivery: { status: string } | null } }>('query ($id: ID!) { order(id: $id) { delivery { status } } }', { id: placed.id }, customer.token),
      (answer) => answer.order.delivery?.status === 'CANCELLED',
    );
    await until(() => pickStock(bread), (stock) => stock.reserved === reserved - 1);
  });
});
