import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema } from 'graphql';
import { clientOf, until } from '../support/client';
import { startTestPlatform, type TestPlatform } from '../support/platform';

/**
 * Every mutation of the composed API, for every role, against the live platform through :9090.
 * The table below is the one place that says who may call what: a mutation in
 * supergraph/api-schema.graphql without an entry fails the first test, so a new mutation cannot
 * ship without a decision about who may call it.
 */
type Caller = 'anonymous' | 'customer' | 'store_owner' | 'courier' | 'hq_admin';
const callers: readonly Caller[] = ['anonymous', 'customer', 'store_owner', 'courier', 'hq_admin'];

interface Fixtures {
  storeId: string;
  pickId: string;
  sparePickId: string;
  categoryId: string;
  spareCategoryId: string;
  orderId: string;
  deliveryId: string;
  customerId: string;
  ownerId: string;
}

interface Rule {
  /** Roles that may call it (on resources they own where the rule says so); every other signed-in role gets FORBIDDEN. */
  allowed: readonly Exclude<Caller, 'anonymous'>[];
  operation: string;
  variables: (fixtures: Fixtures) => Record<string, unknown>;
  /** The subgraph that answers it: its rows are skipped, with a note, when the platform could not start it. */
  service: string;
}

const address = { recipient: 'Carla', lines: ['10 Rue de Rivoli'], city: 'Paris', postalCode: '75004', country: 'FR', location: { lat: 48.857, lng: 2.36 }, phone: null };
const owner = (f: Fixtures) => ({ id: f.customerId, type: 'USER' });
const contact = 'contact-infos';

// Order matters only in that rows run top to bottom, denied callers of a row before its allowed ones.
const rules: Record<string, Rule> = {
  updateProfile: { service: 'user', allowed: ['customer', 'store_owner', 'courier', 'hq_admin'], operation: 'mutation ($input: UpdateProfileInput!) { updateProfile(input: $input) { displayName } }', variables: () => ({ input: { bio: 'matrix' } }) },
  grantRole: { service: 'auth', allowed: ['hq_admin'], operation: 'mutation ($userId: ID!) { grantRole(userId: $userId, role: CUSTOMER) { id } }', variables: (f) => ({ userId: f.customerId }) },
  createCategory: { service: 'store-categories', allowed: ['hq_admin'], operation: 'mutation ($input: CreateCategoryInput!) { createCategory(input: $input) { id } }', variables: () => ({ input: { name: `Matrix ${randomUUID().slice(0, 8)}` } }) },
  updateCategory: { service: 'store-categories', allowed: ['hq_admin'], operation: 'mutation ($id: ID!) { updateCategory(id: $id, input: { icon: "x" }) { id } }', variables: (f) => ({ id: f.categoryId }) },
  moveCategory: { service: 'store-categories', allowed: ['hq_admin'], operation: 'mutation ($id: ID!) { moveCategory(id: $id, parentId: null) { id } }', variables: (f) => ({ id: f.categoryId }) },
  deleteCategory: { service: 'store-categories', allowed: ['hq_admin'], operation: 'mutation ($id: ID!) { deleteCategory(id: $id) }', variables: (f) => ({ id: f.spareCategoryId }) },
  createStore: {
    service: 'store',
    allowed: ['store_owner'],
    operation: 'mutation ($input: CreateStoreInput!) { createStore(input: $input) { id } }',
    variables: (f) => ({ input: { name: 'Matrix shop', city: 'Paris', location: { lat: 48.85, lng: 2.35 }, categoryIds: [f.categoryId], timeZone: 'Europe/Paris', openingHours: [] } }),
  },
  updateStore: { service: 'store', allowed: ['store_owner'], operation: 'mutation ($id: ID!) { updateStore(id: $id, input: { description: "matrix" }) { id } }', variables: (f) => ({ id: f.storeId }) },
  createPick: {
    service: 'picks',
    allowed: ['store_owner'],
    operation: 'mutation ($input: CreatePickInput!) { createPick(input: $input) { id } }',
    variables: (f) => ({ input: { storeId: f.storeId, name: 'Matrix pick', price: { amountMinor: 100, currency: 'EUR' }, stock: 5 } }),
  },
  updatePick: { service: 'picks', allowed: ['store_owner'], operation: 'mutation ($id: ID!) { updatePick(id: $id, input: { description: "matrix" }) { id } }', variables: (f) => ({ id: f.pickId }) },
  setStock: { service: 'picks', allowed: ['store_owner'], operation: 'mutation ($id: ID!) { setStock(id: $id, stock: 100) { id } }', variables: (f) => ({ id: f.pickId }) },
  adjustStock: { service: 'picks', allowed: ['store_owner'], operation: 'mutation ($id: ID!) { adjustStock(id: $id, delta: 1) { id } }', variables: (f) => ({ id: f.pickId }) },
  deletePick: { service: 'picks', allowed: ['store_owner', 'hq_admin'], operation: 'mutation ($id: ID!) { deletePick(id: $id) }', variables: (f) => ({ id: f.sparePickId }) },
  placeOrder: {
    service: 'order',
    allowed: ['customer'],
    operation: 'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
    variables: (f) => ({ input: { storeId: f.storeId, lines: [{ pickId: f.pickId, quantity: 1 }], deliveryAddress: address, idempotencyKey: randomUUID() } }),
  },
  acceptOrder: { service: 'order', allowed: ['store_owner', 'hq_admin'], operation: 'mutation ($id: ID!) { acceptOrder(id: $id) { id } }', variables: (f) => ({ id: f.orderId }) },
  markOrderReady: { service: 'order', allowed: ['store_owner', 'hq_admin'], operation: 'mutation ($id: ID!) { markOrderReady(id: $id) { id } }', variables: (f) => ({ id: f.orderId }) },
  declineOrder: { service: 'order', allowed: ['store_owner', 'hq_admin'], operation: 'mutation ($id: ID!) { declineOrder(id: $id, reason: "matrix") { id } }', variables: (f) => ({ id: f.orderId }) },
  claimDelivery: { service: 'order-delivery', allowed: ['courier'], operation: 'mutation ($id: ID!) { claimDelivery(id: $id) { id } }', variables: (f) => ({ id: f.deliveryId }) },
  markPickedUp: { service: 'order-delivery', allowed: ['courier'], operation: 'mutation ($id: ID!) { markPickedUp(id: $id) { id } }', variables: (f) => ({ id: f.deliveryId }) },
  markDelivered: { service: 'order-delivery', allowed: ['courier'], operation: 'mutation ($id: ID!) { markDelivered(id: $id) { id } }', variables: (f) => ({ id: f.deliveryId }) },
  cancelOrder: { service: 'order', allowed: ['customer', 'hq_admin'], operation: 'mutation ($id: ID!) { cancelOrder(id: $id) { id } }', variables: (f) => ({ id: f.orderId }) },
  closeStore: { service: 'store', allowed: ['store_owner'], operation: 'mutation ($id: ID!) { closeStore(id: $id) { id } }', variables: (f) => ({ id: f.storeId }) },
  reopenStore: { service: 'store', allowed: ['store_owner'], operation: 'mutation ($id: ID!) { reopenStore(id: $id) { id } }', variables: (f) => ({ id: f.storeId }) },
  suspendStore: { service: 'store', allowed: ['hq_admin'], operation: 'mutation ($id: ID!) { suspendStore(id: $id, reason: "matrix") { id } }', variables: (f) => ({ id: f.storeId }) },
  reinstateStore: { service: 'store', allowed: ['hq_admin'], operation: 'mutation ($id: ID!) { reinstateStore(id: $id) { id } }', variables: (f) => ({ id: f.storeId }) },
  approveStore: { service: 'store', allowed: ['hq_admin'], operation: 'mutation ($id: ID!) { approveStore(id: $id) { id } }', variables: (f) => ({ id: f.storeId }) },
  addAddress: {
    service: contact,
    allowed: ['customer', 'hq_admin'],
    operation: 'mutation ($owner: ContactOwnerInput!) { addAddress(owner: $owner, input: { label: "home", lines: ["1 rue"], city: "Paris", postalCode: "75001", country: "FR" }) { id } }',
    variables: (f) => ({ owner: owner(f) }),
  },
  updateAddress: { service: contact, allowed: ['customer', 'hq_admin'], operation: 'mutation ($owner: ContactOwnerInput!, $id: ID!) { updateAddress(owner: $owner, addressId: $id, input: { label: "x" }) { id } }', variables: (f) => ({ owner: owner(f), id: randomUUID() }) },
  removeAddress: { service: contact, allowed: ['customer', 'hq_admin'], operation: 'mutation ($owner: ContactOwnerInput!, $id: ID!) { removeAddress(owner: $owner, addressId: $id) { id } }', variables: (f) => ({ owner: owner(f), id: randomUUID() }) },
  addEmail: { service: contact, allowed: ['customer', 'hq_admin'], operation: 'mutation ($owner: ContactOwnerInput!) { addEmail(owner: $owner, input: { label: "work", address: "a@example.com" }) { id } }', variables: (f) => ({ owner: owner(f) }) },
  updateEmail: { service: contact, allowed: ['customer', 'hq_admin'], operation: 'mutation ($owner: ContactOwnerInput!, $id: ID!) { updateEmail(owner: $owner, emailId: $id, input: { label: "x" }) { id } }', variables: (f) => ({ owner: owner(f), id: randomUUID() }) },
  removeEmail: { service: contact, allowed: ['customer', 'hq_admin'], operation: 'mutation ($owner: ContactOwnerInput!, $id: ID!) { removeEmail(owner: $owner, emailId: $id) { id } }', variables: (f) => ({ owner: owner(f), id: randomUUID() }) },
  addPhone: { service: contact, allowed: ['customer', 'hq_admin'], operation: 'mutation ($owner: ContactOwnerInput!) { addPhone(owner: $owner, input: { label: "cell", number: "+33123456789" }) { id } }', variables: (f) => ({ owner: owner(f) }) },
  updatePhone: { service: contact, allowed: ['customer', 'hq_admin'], operation: 'mutation ($owner: ContactOwnerInput!, $id: ID!) { updatePhone(owner: $owner, phoneId: $id, input: { label: "x" }) { id } }', variables: (f) => ({ owner: owner(f), id: randomUUID() }) },
  removePhone: { service: contact, allowed: ['customer', 'hq_admin'], operation: 'mutation ($owner: ContactOwnerInput!, $id: ID!) { removePhone(owner: $owner, phoneId: $id) { id } }', variables: (f) => ({ owner: owner(f), id: randomUUID() }) },
};

const apiMutations = (): string[] => {
  const schema = buildSchema(readFileSync(path.resolve(__dirname, '../../supergraph/api-schema.graphql'), 'utf8'));
  return Object.keys(schema.getMutationType()?.getFields() ?? {}).sort();
};

let platform: TestPlatform;
let client: ReturnType<typeof clientOf>;
let fixtures: Fixtures;
const tokens: Partial<Record<Caller, string>> = {};

beforeAll(async () => {
  platform = await startTestPlatform();
  client = clientOf(platform);
  tokens.hq_admin = await client.adminToken();
  const [customer, storeOwner, courier] = await Promise.all([client.account('customer'), client.account('store_owner'), client.account('courier')]);
  tokens.customer = customer.token;
  tokens.store_owner = storeOwner.token;
  tokens.courier = courier.token;
  const admin = tokens.hq_admin;
  const category = await client.gql<{ createCategory: { id: string } }>('mutation ($input: CreateCategoryInput!) { createCategory(input: $input) { id } }', { input: { name: `Matrix ${randomUUID().slice(0, 6)}` } }, admin);
  const spare = await client.gql<{ createCategory: { id: string } }>('mutation ($input: CreateCategoryInput!) { createCategory(input: $input) { id } }', { input: { name: `Spare ${randomUUID().slice(0, 6)}` } }, admin);
  const everyDay = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'].map((weekday) => ({ weekday, intervals: [{ opens: '00:00', closes: '24:00' }] }));
  const storeLocation = { lat: 48.8566, lng: 2.3522 };
  const store = await until(() =>
    client.gql<{ createStore: { id: string } }>(
      'mutation ($input: CreateStoreInput!) { createStore(input: $input) { id } }',
      { input: { name: 'Matrix Bakery', city: 'Paris', location: storeLocation, categoryIds: [category.createCategory.id], timeZone: 'Europe/Paris', openingHours: everyDay } },
      storeOwner.token,
    ),
  );
  const storeId = store.createStore.id;
  await client.gql('mutation ($id: ID!) { approveStore(id: $id) { id } }', { id: storeId }, admin);
  const createPick = (name: string) =>
    until(() => client.gql<{ createPick: { id: string } }>('mutation ($input: CreatePickInput!) { createPick(input: $input) { id } }', { input: { storeId, name, price: { amountMinor: 250, currency: 'EUR' }, stock: 50 } }, storeOwner.token)).then((a) => a.createPick.id);
  const pickId = await createPick('Bread');
  const sparePickId = await createPick('Spare');
  const place = () =>
    until(() =>
      client.gql<{ placeOrder: { id: string } }>('mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', { input: { storeId, lines: [{ pickId, quantity: 1 }], deliveryAddress: address, idempotencyKey: randomUUID() } }, customer.token),
    ).then((a) => a.placeOrder.id);
  const status = (id: string) => client.gql<{ order: { status: string } }>('query ($id: ID!) { order(id: $id) { status } }', { id }, customer.token).then((a) => a.order.status);
  const [orderId, deliveredOrderId] = [await place(), await place()];
  await until(() => status(orderId), (s) => s === 'CONFIRMED');
  await until(() => status(deliveredOrderId), (s) => s === 'CONFIRMED');
  await client.gql('mutation ($id: ID!) { acceptOrder(id: $id) { id } }', { id: deliveredOrderId }, storeOwner.token);
  const nearby = await until(
    () => client.gql<{ openDeliveries: { delivery: { id: string; order: { id: string } } }[] }>('query ($near: GeoPointInput!) { openDeliveries(near: $near, radiusKm: 5) { delivery { id order { id } } } }', { near: storeLocation }, courier.token),
    (answer) => answer.openDeliveries.some((entry) => entry.delivery.order.id === deliveredOrderId),
  );
  const deliveryId = nearby.openDeliveries.find((entry) => entry.delivery.order.id === deliveredOrderId)!.delivery.id;
  fixtures = { storeId, pickId, sparePickId, categoryId: category.createCategory.id, spareCategoryId: spare.createCategory.id, orderId, deliveryId, customerId: customer.id, ownerId: storeOwner.id };
}, 150_000);

afterAll(async () => {
  await platform?.teardown();
}, 60_000);

describe('the authorization table', () => {
  it('has exactly one entry per mutation of the composed API', () => {
    const mutations = apiMutations();
    expect(mutations.filter((name) => !(name in rules))).toEqual([]);
    expect(Object.keys(rules).filter((name) => !mutations.includes(name))).toEqual([]);
  });
});

const outcomes: string[] = [];

describe.each(Object.entries(rules))('%s', (mutation, rule) => {
  // Denied callers first: the allowed ones may change the resource's state.
  const ordered = [...callers].sort((a, b) => Number(a !== 'anonymous' && rule.allowed.includes(a)) - Number(b !== 'anonymous' && rule.allowed.includes(b)));
  it.each(ordered)(`as %s: ${mutation} is refused or allowed as the table says`, async (caller) => {
    if (!platform.urls.services[rule.service]) {
      outcomes.push(`${mutation}/${caller}: skipped (${rule.service} not running)`);
      return;
    }
    const token = caller === 'anonymous' ? undefined : tokens[caller];
    const answer = await client.graphql(rule.operation, rule.variables(fixtures), token);
    const codes = (answer.errors ?? []).map((error) => error.extensions?.code ?? 'NONE');
    outcomes.push(`${mutation}/${caller}: ${codes.join(',') || 'ok'}`);
    expect(answer.status).toBeLessThan(500);
    if (caller === 'anonymous') {
      expect(codes).toEqual(['UNAUTHENTICATED']);
    } else if (rule.allowed.includes(caller)) {
      expect(codes).not.toContain('UNAUTHENTICATED');
      expect(codes).not.toContain('FORBIDDEN');
    } else {
      expect(codes).toEqual(['FORBIDDEN']);
    }
    if (codes.length) expect(answer.data?.[mutation] ?? null).toBeNull();
  });
});

afterAll(() => {
  // The whole matrix as observed, for the test log.
  console.log(`authorization matrix (${outcomes.length} calls):\n${outcomes.join('\n')}`);
});
