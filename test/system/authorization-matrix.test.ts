import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, isObjectType, type GraphQLObjectType } from 'graphql';
import { clientOf, until } from '../support/client';
import { startTestPlatform, type TestPlatform } from '../support/platform';

/**
 * Every query field and every mutation of the composed API, for every role, against the live platform
 * through :9090. Two tables are the one place that says who may read what and who may call what: a
 * Query field or a mutation in supergraph/api-schema.graphql without an entry fails the first tests,
 * and so does any other field whose description says who may see it, so none can ship without a
 * decision about who may use it.
 */
type Caller = 'anonymous' | 'customer' | 'store_owner' | 'courier' | 'hq_admin';
const callers: readonly Caller[] = ['anonymous', 'customer', 'store_owner', 'courier', 'hq_admin'];

/**
 * Readers of the query table: the roles above, whose accounts are the parties of the fixtures (the
 * customer who ordered, the owner of the store, the courier who claimed the delivery), and another
 * account of each role that owns none of them.
 */
type Reader = Caller | 'another_customer' | 'another_store_owner' | 'another_courier';
const readers: readonly Reader[] = [...callers, 'another_customer', 'another_store_owner', 'another_courier'];

interface Fixtures {
  storeId: string;
  pickId: string;
  sparePickId: string;
  categoryId: string;
  categorySlug: string;
  spareCategoryId: string;
  orderId: string;
  deliveryId: string;
  customerId: string;
  ownerId: string;
  /** A store of the owner's that waits for approval, alone in its category. */
  pendingStore: { id: string; name: string; categorySlug: string };
  /** A pick of the open store that its owner hid. */
  hiddenPickId: string;
  /** An order whose delivery the courier claimed. */
  claimed: { orderId: string; deliveryId: string };
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
  markReturned: { service: 'order-delivery', allowed: ['courier'], operation: 'mutation ($id: ID!) { markReturned(id: $id) { id } }', variables: (f) => ({ id: f.deliveryId }) },
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

interface ReadRule {
  /** The field the row is about, as Type.field. */
  field: string;
  /** What is read, when a field has several rows (an open and a claimed delivery). */
  case?: string;
  /** The subgraph that answers it: its rows are skipped, with a note, when the platform could not start it. */
  service: string;
  /** Who reads the value; every other caller is refused: UNAUTHENTICATED when anonymous, FORBIDDEN otherwise… */
  readers: readonly Reader[] | 'everyone' | 'signed-in';
  /** …except these, who get no value (null or an empty list) and no error: the field hides what they may not see. */
  hiddenFrom?: readonly Reader[] | 'the others';
  operation: string;
  variables: (fixtures: Fixtures) => Record<string, unknown>;
  /** Where the value is in `data`; a reader gets it (non-empty where others get an empty list). */
  path: readonly (string | number)[];
}

const parties = ['customer', 'store_owner', 'courier', 'hq_admin'] as const;
const ownerAndAdmin = ['store_owner', 'hq_admin'] as const;
const couriers = ['courier', 'another_courier'] as const;
const byId = (id: (f: Fixtures) => string) => (f: Fixtures) => ({ id: id(f) });

const readRules: readonly ReadRule[] = [
  { field: 'Query.categories', service: 'store-categories', readers: 'everyone', operation: '{ categories { id } }', variables: () => ({}), path: ['categories'] },
  { field: 'Query.category', service: 'store-categories', readers: 'everyone', operation: 'query ($slug: String!) { category(slug: $slug) { id } }', variables: (f) => ({ slug: f.categorySlug }), path: ['category', 'id'] },
  { field: 'Query.stores', case: 'open stores', service: 'store', readers: 'everyone', operation: 'query ($id: ID!) { stores(filter: { categoryId: $id }) { edges { node { id } } } }', variables: (f) => ({ id: f.categoryId }), path: ['stores', 'edges'] },
  {
    field: 'Query.stores',
    case: 'a store waiting for approval',
    service: 'store',
    readers: ownerAndAdmin,
    hiddenFrom: 'the others',
    operation: 'query ($text: String!) { stores(filter: { text: $text }) { edges { node { id } } } }',
    variables: (f) => ({ text: f.pendingStore.name }),
    path: ['stores', 'edges'],
  },
  { field: 'Query.store', case: 'an open store', service: 'store', readers: 'everyone', operation: 'query ($id: ID!) { store(id: $id) { id } }', variables: byId((f) => f.storeId), path: ['store', 'id'] },
  {
    field: 'Query.store',
    case: 'a store waiting for approval',
    service: 'store',
    readers: ownerAndAdmin,
    hiddenFrom: 'the others',
    operation: 'query ($id: ID!) { store(id: $id) { id } }',
    variables: byId((f) => f.pendingStore.id),
    path: ['store', 'id'],
  },
  { field: 'Query.pick', case: 'an available pick of an open store', service: 'picks', readers: 'everyone', operation: 'query ($id: ID!) { pick(id: $id) { id } }', variables: byId((f) => f.pickId), path: ['pick', 'id'] },
  {
    field: 'Pick.available',
    case: 'a pick its owner hid',
    service: 'picks',
    readers: ownerAndAdmin,
    hiddenFrom: 'the others',
    operation: 'query ($id: ID!) { pick(id: $id) { available } }',
    variables: byId((f) => f.hiddenPickId),
    path: ['pick', 'available'],
  },
  {
    field: 'Store.picks',
    case: 'a pick its owner hid',
    service: 'picks',
    readers: ownerAndAdmin,
    hiddenFrom: 'the others',
    operation: 'query ($id: ID!) { store(id: $id) { picks(filter: { text: "Hidden" }) { edges { node { id } } } } }',
    variables: byId((f) => f.storeId),
    path: ['store', 'picks', 'edges'],
  },
  {
    field: 'Category.stores',
    case: 'the category of a store waiting for approval',
    service: 'store',
    readers: ownerAndAdmin,
    hiddenFrom: 'the others',
    operation: 'query ($slug: String!) { category(slug: $slug) { stores { edges { node { id } } } } }',
    variables: (f) => ({ slug: f.pendingStore.categorySlug }),
    path: ['category', 'stores', 'edges'],
  },
  { field: 'Store.statusHistory', service: 'store', readers: ownerAndAdmin, hiddenFrom: 'the others', operation: 'query ($id: ID!) { store(id: $id) { statusHistory { to } } }', variables: byId((f) => f.storeId), path: ['store', 'statusHistory'] },
  { field: 'Store.orders', service: 'order', readers: ownerAndAdmin, operation: 'query ($id: ID!) { store(id: $id) { orders { pageInfo { hasNextPage } } } }', variables: byId((f) => f.storeId), path: ['store', 'orders', 'pageInfo'] },
  { field: 'Store.stats', service: 'headquarter', readers: ['hq_admin'], operation: 'query ($id: ID!) { store(id: $id) { stats { orders } } }', variables: byId((f) => f.storeId), path: ['store', 'stats', 'orders'] },
  { field: 'Store.contact', service: contact, readers: 'everyone', operation: 'query ($id: ID!) { store(id: $id) { contact { phones { id } } } }', variables: byId((f) => f.storeId), path: ['store', 'contact', 'phones'] },
  // A store's owner is a User anyone can reach: the User fields below are read on them (self: store_owner).
  { field: 'User.profile', service: 'user', readers: 'signed-in', operation: 'query ($id: ID!) { store(id: $id) { owner { profile { displayName } } } }', variables: byId((f) => f.storeId), path: ['store', 'owner', 'profile', 'displayName'] },
  { field: 'User.email', service: 'auth', readers: ownerAndAdmin, operation: 'query ($id: ID!) { store(id: $id) { owner { email } } }', variables: byId((f) => f.storeId), path: ['store', 'owner', 'email'] },
  { field: 'User.roles', service: 'auth', readers: ownerAndAdmin, operation: 'query ($id: ID!) { store(id: $id) { owner { roles } } }', variables: byId((f) => f.storeId), path: ['store', 'owner', 'roles'] },
  { field: 'User.orders', service: 'order', readers: ownerAndAdmin, operation: 'query ($id: ID!) { store(id: $id) { owner { orders { pageInfo { hasNextPage } } } } }', variables: byId((f) => f.storeId), path: ['store', 'owner', 'orders', 'pageInfo'] },
  {
    field: 'User.deliveries',
    service: 'order-delivery',
    readers: ownerAndAdmin,
    operation: 'query ($id: ID!) { store(id: $id) { owner { deliveries { pageInfo { hasNextPage } } } } }',
    variables: byId((f) => f.storeId),
    path: ['store', 'owner', 'deliveries', 'pageInfo'],
  },
  { field: 'User.addresses', service: contact, readers: ownerAndAdmin, operation: 'query ($id: ID!) { store(id: $id) { owner { addresses { id } } } }', variables: byId((f) => f.storeId), path: ['store', 'owner', 'addresses'] },
  { field: 'User.phones', service: contact, readers: ownerAndAdmin, operation: 'query ($id: ID!) { store(id: $id) { owner { phones { id } } } }', variables: byId((f) => f.storeId), path: ['store', 'owner', 'phones'] },
  { field: 'Query.me', service: 'user', readers: 'signed-in', operation: '{ me { id } }', variables: () => ({}), path: ['me', 'id'] },
  { field: 'Query.user', service: 'user', readers: ['customer', 'hq_admin'], operation: 'query ($id: ID!) { user(id: $id) { id } }', variables: byId((f) => f.customerId), path: ['user', 'id'] },
  { field: 'Query.myStores', service: 'store', readers: ['store_owner', 'another_store_owner'], operation: '{ myStores { id } }', variables: () => ({}), path: ['myStores'] },
  {
    field: 'Query.openDeliveries',
    service: 'order-delivery',
    readers: couriers,
    operation: '{ openDeliveries(near: { lat: 48.8566, lng: 2.3522 }, radiusKm: 5) { distanceKm } }',
    variables: () => ({}),
    path: ['openDeliveries'],
  },
  { field: 'Query.myDeliveries', service: 'order-delivery', readers: couriers, operation: '{ myDeliveries { pageInfo { hasNextPage } } }', variables: () => ({}), path: ['myDeliveries', 'pageInfo'] },
  { field: 'Query.order', case: 'an order no courier has yet', service: 'order', readers: ['customer', 'store_owner', 'hq_admin'], operation: 'query ($id: ID!) { order(id: $id) { id } }', variables: byId((f) => f.orderId), path: ['order', 'id'] },
  { field: 'Query.order', case: 'an order out with its courier', service: 'order', readers: parties, operation: 'query ($id: ID!) { order(id: $id) { id } }', variables: byId((f) => f.claimed.orderId), path: ['order', 'id'] },
  { field: 'Order.delivery', service: 'order-delivery', readers: parties, operation: 'query ($id: ID!) { order(id: $id) { delivery { id } } }', variables: byId((f) => f.claimed.orderId), path: ['order', 'delivery', 'id'] },
  { field: 'OrderLine.pick', service: 'picks', readers: parties, operation: 'query ($id: ID!) { order(id: $id) { lines { pick { id } } } }', variables: byId((f) => f.claimed.orderId), path: ['order', 'lines', 0, 'pick', 'id'] },
  { field: 'Query.delivery', case: 'a claimed delivery', service: 'order-delivery', readers: parties, operation: 'query ($id: ID!) { delivery(id: $id) { id } }', variables: byId((f) => f.claimed.deliveryId), path: ['delivery', 'id'] },
  {
    field: 'Query.delivery',
    case: 'an open delivery: any courier may read it before claiming',
    service: 'order-delivery',
    readers: ['customer', 'store_owner', 'hq_admin', ...couriers],
    operation: 'query ($id: ID!) { delivery(id: $id) { id } }',
    variables: byId((f) => f.deliveryId),
    path: ['delivery', 'id'],
  },
  {
    field: 'Delivery.dropoff',
    case: 'an open delivery: couriers see only its area',
    service: 'order-delivery',
    readers: ['customer', 'store_owner', 'hq_admin'],
    hiddenFrom: couriers,
    operation: 'query ($id: ID!) { delivery(id: $id) { dropoff { recipient } } }',
    variables: byId((f) => f.deliveryId),
    path: ['delivery', 'dropoff', 'recipient'],
  },
  { field: 'Query.approvalQueue', service: 'headquarter', readers: ['hq_admin'], operation: '{ approvalQueue { edges { node { name } } } }', variables: () => ({}), path: ['approvalQueue', 'edges'] },
  { field: 'Query.auditTrail', service: 'headquarter', readers: ['hq_admin'], operation: 'query ($id: ID!) { auditTrail(entityId: $id) { edges { node { type } } } }', variables: byId((f) => f.storeId), path: ['auditTrail', 'edges'] },
  { field: 'Query.kpis', service: 'headquarter', readers: ['hq_admin'], operation: '{ kpis { activeCouriers } }', variables: () => ({}), path: ['kpis', 'activeCouriers'] },
];

const apiSchema = () => buildSchema(readFileSync(path.resolve(__dirname, '../../supergraph/api-schema.graphql'), 'utf8'));

const apiMutations = (): string[] => Object.keys(apiSchema().getMutationType()?.getFields() ?? {}).sort();

/** Every field of the API as Type.field, with its description. */
function apiFields(): { field: string; description: string }[] {
  return Object.values(apiSchema().getTypeMap())
    .filter((type): type is GraphQLObjectType => isObjectType(type) && !type.name.startsWith('__') && type.name !== 'Mutation')
    .flatMap((type) => Object.values(type.getFields()).map((field) => ({ field: `${type.name}.${field.name}`, description: field.description ?? '' })));
}

/** A description that says who may see the field ("hq_admin only", "the user themself", "Public", "the caller may see"). */
const statesWhoMayRead = /\b(hq_admin|themself|caller|public)\b/i;

const valueAt = (data: unknown, at: readonly (string | number)[]): unknown =>
  at.reduce<unknown>((value, key) => (value !== null && typeof value === 'object' ? (value as Record<string | number, unknown>)[key] : undefined), data);
const isEmpty = (value: unknown) => value === null || value === undefined || (Array.isArray(value) && value.length === 0);

function expectedFor(rule: ReadRule, reader: Reader): 'read' | 'hidden' | 'refused' {
  const reads = rule.readers === 'everyone' || (rule.readers === 'signed-in' ? reader !== 'anonymous' : rule.readers.includes(reader));
  if (reads) return 'read';
  return rule.hiddenFrom === 'the others' || rule.hiddenFrom?.includes(reader) ? 'hidden' : 'refused';
}

let platform: TestPlatform;
let client: ReturnType<typeof clientOf>;
let fixtures: Fixtures;
const tokens: Partial<Record<Reader, string>> = {};

beforeAll(async () => {
  platform = await startTestPlatform();
  client = clientOf(platform);
  tokens.hq_admin = await client.adminToken();
  const [customer, storeOwner, courier, anotherCustomer, anotherOwner, anotherCourier] = await Promise.all(
    (['customer', 'store_owner', 'courier', 'customer', 'store_owner', 'courier'] as const).map((role) => client.account(role)),
  );
  Object.assign(tokens, {
    customer: customer.token,
    store_owner: storeOwner.token,
    courier: courier.token,
    another_customer: anotherCustomer.token,
    another_store_owner: anotherOwner.token,
    another_courier: anotherCourier.token,
  });
  const admin = tokens.hq_admin;
  const newCategory = (name: string) =>
    client.gql<{ createCategory: { id: string; slug: string } }>('mutation ($input: CreateCategoryInput!) { createCategory(input: $input) { id slug } }', { input: { name: `${name} ${randomUUID().slice(0, 6)}` } }, admin);
  const [category, spare, pendingCategory] = [await newCategory('Matrix'), await newCategory('Spare'), await newCategory('Pending')];
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
  const pendingName = `Pending ${randomUUID().slice(0, 8)}`;
  const pending = await client.gql<{ createStore: { id: string } }>(
    'mutation ($input: CreateStoreInput!) { createStore(input: $input) { id } }',
    { input: { name: pendingName, city: 'Paris', location: storeLocation, categoryIds: [pendingCategory.createCategory.id], timeZone: 'Europe/Paris', openingHours: everyDay } },
    storeOwner.token,
  );
  const createPick = (name: string, available = true) =>
    until(() =>
      client.gql<{ createPick: { id: string } }>('mutation ($input: CreatePickInput!) { createPick(input: $input) { id } }', { input: { storeId, name, available, price: { amountMinor: 250, currency: 'EUR' }, stock: 50 } }, storeOwner.token),
    ).then((a) => a.createPick.id);
  const pickId = await createPick('Bread');
  const sparePickId = await createPick('Spare');
  const hiddenPickId = await createPick('Hidden loaf', false);
  const place = () =>
    until(() =>
      client.gql<{ placeOrder: { id: string } }>('mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', { input: { storeId, lines: [{ pickId, quantity: 1 }], deliveryAddress: address, idempotencyKey: randomUUID() } }, customer.token),
    ).then((a) => a.placeOrder.id);
  const status = (id: string) => client.gql<{ order: { status: string } }>('query ($id: ID!) { order(id: $id) { status } }', { id }, customer.token).then((a) => a.order.status);
  const [orderId, deliveredOrderId, claimedOrderId] = [await place(), await place(), await place()];
  for (const id of [orderId, deliveredOrderId, claimedOrderId]) await until(() => status(id), (s) => s === 'CONFIRMED');
  for (const id of [deliveredOrderId, claimedOrderId]) await client.gql('mutation ($id: ID!) { acceptOrder(id: $id) { id } }', { id }, storeOwner.token);
  const nearby = await until(
    () => client.gql<{ openDeliveries: { delivery: { id: string; order: { id: string } } }[] }>('query ($near: GeoPointInput!) { openDeliveries(near: $near, radiusKm: 5) { delivery { id order { id } } } }', { near: storeLocation }, courier.token),
    (answer) => [deliveredOrderId, claimedOrderId].every((id) => answer.openDeliveries.some((entry) => entry.delivery.order.id === id)),
  );
  const deliveryOf = (id: string) => nearby.openDeliveries.find((entry) => entry.delivery.order.id === id)!.delivery.id;
  const deliveryId = deliveryOf(deliveredOrderId);
  const claimedDeliveryId = deliveryOf(claimedOrderId);
  await client.gql('mutation ($id: ID!) { claimDelivery(id: $id) { id } }', { id: claimedDeliveryId }, courier.token);
  // The order learns its courier from the delivery's event, and headquarter its approval queue from the store's.
  await until(() => client.gql('query ($id: ID!) { order(id: $id) { id } }', { id: claimedOrderId }, courier.token));
  if (platform.urls.services.headquarter) {
    await until(() => client.gql<{ approvalQueue: { edges: unknown[] } }>('{ approvalQueue { edges { node { name } } } }', {}, admin), (answer) => answer.approvalQueue.edges.length > 0);
  }
  fixtures = {
    storeId,
    pickId,
    sparePickId,
    categoryId: category.createCategory.id,
    categorySlug: category.createCategory.slug,
    spareCategoryId: spare.createCategory.id,
    orderId,
    deliveryId,
    customerId: customer.id,
    ownerId: storeOwner.id,
    pendingStore: { id: pending.createStore.id, name: pendingName, categorySlug: pendingCategory.createCategory.slug },
    hiddenPickId,
    claimed: { orderId: claimedOrderId, deliveryId: claimedDeliveryId },
  };
}, 150_000);

afterAll(async () => {
  await platform?.teardown();
}, 60_000);

describe('the authorization tables', () => {
  it('has exactly one entry per mutation of the composed API', () => {
    const mutations = apiMutations();
    expect(mutations.filter((name) => !(name in rules))).toEqual([]);
    expect(Object.keys(rules).filter((name) => !mutations.includes(name))).toEqual([]);
  });

  it('has an entry for every Query field, and for every other field whose description says who may see it', () => {
    const fields = apiFields();
    const covered = new Set(readRules.map((rule) => rule.field));
    const needed = fields.filter(({ field, description }) => field.startsWith('Query.') || statesWhoMayRead.test(description)).map(({ field }) => field);
    expect(needed.filter((field) => !covered.has(field))).toEqual([]);
    expect([...covered].filter((field) => !fields.some((entry) => entry.field === field))).toEqual([]);
  });
});

const outcomes: string[] = [];

describe('reading', () => {
  const answers = new Map<string, { status: number; codes: string[]; value: unknown }>();
  const keyOf = (rule: ReadRule, reader: Reader) => `${rule.field} (${rule.case ?? 'any'}) as ${reader}`;

  // Reads change nothing: every row and reader is asked at once, then checked one by one.
  beforeAll(async () => {
    const calls = readRules.flatMap((rule) => (platform.urls.services[rule.service] ? readers.map((reader) => ({ rule, reader })) : []));
    const ask = async ({ rule, reader }: { rule: ReadRule; reader: Reader }) => {
      const answer = await client.graphql(rule.operation, rule.variables(fixtures), reader === 'anonymous' ? undefined : tokens[reader]);
      answers.set(keyOf(rule, reader), { status: answer.status, codes: (answer.errors ?? []).map((error) => error.extensions?.code ?? 'NONE'), value: valueAt(answer.data, rule.path) });
    };
    const queue = [...calls];
    await Promise.all(Array.from({ length: 6 }, async () => {
      for (let call = queue.shift(); call; call = queue.shift()) await ask(call);
    }));
  }, 60_000);

  describe.each(readRules.map((rule) => [`${rule.field}${rule.case ? ` (${rule.case})` : ''}`, rule] as const))('%s', (name, rule) => {
    it.each(readers.map((reader) => [reader, expectedFor(rule, reader)] as const))(`as %s: ${name} is %s`, (reader, expected) => {
      const answer = answers.get(keyOf(rule, reader));
      if (!answer) {
        outcomes.push(`${name}/${reader}: skipped (${rule.service} not running)`);
        return;
      }
      outcomes.push(`${name}/${reader}: ${answer.codes.join(',') || (isEmpty(answer.value) ? 'nothing' : 'read')}`);
      expect(answer.status).toBeLessThan(500);
      if (expected === 'read') {
        expect(answer.codes).toEqual([]);
        expect(rule.hiddenFrom ? isEmpty(answer.value) : answer.value === null || answer.value === undefined).toBe(false);
      } else if (expected === 'hidden') {
        expect(answer.codes).toEqual([]);
        expect(isEmpty(answer.value)).toBe(true);
      } else {
        expect(answer.codes).toEqual([reader === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN']);
        expect(answer.value ?? null).toBeNull();
      }
    });
  });
});

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
