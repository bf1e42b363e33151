import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { connectSql, type SqlDatabase, type StoreStatus } from '@x/kit';
import { createTestDatabase } from '@x/kit/testing';
import { anonymous, mutationFieldsOf, outcomeOf, startSubgraphHarness, type Caller, type SubgraphHarness } from '../../../../test/support/subgraph-harness';
import type { CreateStoreInput } from '../domain/store';
import type { Database } from '../store/database';
import type { DB } from '../store/generated/tables';
import { Stores, type Store } from '../store/stores';
import { storeContext } from './context';
import { resolvers, typeDefs } from './resolvers';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let sql: SqlDatabase<DB>;
let db: Database;
let stores: Stores;
let harness: SubgraphHarness;
let statements = 0;
type CallerName = 'anonymous' | 'customer' | 'otherStoreOwner' | 'storeOwner' | 'hqAdmin';
let callers: Record<CallerName, Caller>;
const admin = { userId: randomUUID(), isHqAdmin: true };
const categories = { bakery: randomUUID(), coffee: randomUUID(), spare: randomUUID() };

beforeAll(async () => {
  database = await createTestDatabase('store_api', path.resolve(__dirname, '../../../../prisma/store/migrations'));
  // Every SQL statement the subgraph sends, for the batching test.
  sql = connectSql<DB>(database.url, {
    connectionLimit: 5,
    onQuery: () => {
      statements += 1;
    },
  });
  db = sql.db;
  stores = new Stores(db, { wake: () => undefined });
  harness = await startSubgraphHarness({ name: 'store', typeDefs, resolvers, context: storeContext(stores) });
  callers = {
    anonymous,
    customer: await harness.caller(['customer']),
    otherStoreOwner: await harness.caller(['store_owner']),
    storeOwner: await harness.caller(['store_owner']),
    hqAdmin: await harness.caller(['hq_admin'], admin.userId),
  };
  // The categories store-categories would have announced.
  await db.transaction().execute(async (tx) => {
    for (const [slug, categoryId] of Object.entries(categories)) await stores.rememberCategory(tx, { categoryId, slug, name: slug, parentId: null }, new Date());
  });
});

afterAll(async () => {
  await harness.close();
  await sql.close();
  await database.drop();
});

const historyRows = async (storeId: string) =>
  Number((await db.selectFrom('storeStatusChanges').select((eb) => eb.fn.countAll().as('n')).where('storeId', '=', storeId).executeTakeFirstOrThrow()).n);

const weekdays = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] as const;
const nineToSix = weekdays.map((weekday) => ({ weekday, intervals: [{ opens: '09:00', closes: '18:00' }] }));

function storeInput(overrides: Partial<CreateStoreInput> = {}): CreateStoreInput {
  return {
    name: `Store ${randomUUID().slice(0, 8)}`,
    description: 'Bread and coffee',
    city: 'Lyon',
    location: { lat: 45.76, lng: 4.84 },
    categoryIds: [categories.bakery],
    timeZone: 'Europe/Paris',
    openingHours: nineToSix,
    ...overrides,
  };
}

/** A store of `owner` brought to `status` through the real transitions. */
async function storeIn(status: StoreStatus, owner: Caller = callers.storeOwner, overrides: Partial<CreateStoreInput> = {}): Promise<Store> {
  let store = await stores.create(owner.userId, storeInput(overrides));
  const ownerCaller = { userId: owner.userId, isHqAdmin: false };
  if (status === 'PENDING_APPROVAL') return store;
  store = await stores.transition(store.id, 'approve', admin, null);
  if (status === 'CLOSED') store = await stores.transition(store.id, 'close', ownerCaller, null);
  if (status === 'SUSPENDED') store = await stores.transition(store.id, 'suspend', admin, 'test');
  return store;
}

const createDocument = 'mutation ($input: CreateStoreInput!) { createStore(input: $input) { id status } }';

describe('who may change a store', () => {
  interface Case {
    document: string;
    variables: () => Promise<Record<string, unknown>>;
    expected: Record<CallerName, string>;
  }
  const onStoreIn = (status: StoreStatus, extra: Record<string, unknown> = {}) => async () => ({ id: (await storeIn(status)).id, ...extra });
  const owners = { anonymous: 'UNAUTHENTICATED', customer: 'FORBIDDEN', otherStoreOwner: 'FORBIDDEN', storeOwner: 'ok', hqAdmin: 'FORBIDDEN' };
  const admins = { anonymous: 'UNAUTHENTICATED', customer: 'FORBIDDEN', otherStoreOwner: 'FORBIDDEN', storeOwner: 'FORBIDDEN', hqAdmin: 'ok' };
  const matrix: Record<string, Case> = {
    // Any store_owner creates stores of their own; "another store's owner" is one too.
    createStore: {
      document: createDocument,
      variables: async () => ({ input: storeInput() }),
      expected: { anonymous: 'UNAUTHENTICATED', customer: 'FORBIDDEN', otherStoreOwner: 'ok', storeOwner: 'ok', hqAdmin: 'FORBIDDEN' },
    },
    updateStore: {
      document: 'mutation ($id: ID!) { updateStore(id: $id, input: { name: "Renamed" }) { id } }',
      variables: onStoreIn('OPEN'),
      expected: owners,
    },
    approveStore: { document: 'mutation ($id: ID!) { approveStore(id: $id) { id } }', variables: onStoreIn('PENDING_APPROVAL'), expected: admins },
    closeStore: { document: 'mutation ($id: ID!) { closeStore(id: $id) { id } }', variables: onStoreIn('OPEN'), expected: owners },
    reopenStore: { document: 'mutation ($id: ID!) { reopenStore(id: $id) { id } }', variables: onStoreIn('CLOSED'), expected: owners },
    suspendStore: {
      document: 'mutation ($id: ID!, $reason: String!) { suspendStore(id: $id, reason: $reason) { id } }',
      variables: onStoreIn('OPEN', { reason: 'hygiene inspection' }),
      expected: admins,
    },
    reinstateStore: { document: 'mutation ($id: ID!) { reinstateStore(id: $id) { id } }', variables: onStoreIn('SUSPENDED'), expected: admins },
  };

  it('has a row for every mutation of the schema', () => {
    expect(Object.keys(matrix).sort()).toEqual(mutationFieldsOf(typeDefs).sort());
  });

  const cells = Object.entries(matrix).flatMap(([mutation, row]) =>
    (Object.keys(row.expected) as CallerName[]).map((caller) => [mutation, caller, row.expected[caller]] as const),
  );
  it.each(cells)('%s as %s → %s', async (mutation, caller, expected) => {
    const row = matrix[mutation]!;
    expect(outcomeOf(await harness.request(row.document, await row.variables(), callers[caller]))).toBe(expected);
  });
});

describe('the status state machine through the API', () => {
  it.each([
    ['approve an OPEN store', 'mutation ($id: ID!) { approveStore(id: $id) { id } }', 'OPEN' as const, 'hqAdmin' as const],
    ['reopen an OPEN store', 'mutation ($id: ID!) { reopenStore(id: $id) { id } }', 'OPEN' as const, 'storeOwner' as const],
    ['close a PENDING_APPROVAL store', 'mutation ($id: ID!) { closeStore(id: $id) { id } }', 'PENDING_APPROVAL' as const, 'storeOwner' as const],
    ['reinstate a CLOSED store', 'mutation ($id: ID!) { reinstateStore(id: $id) { id } }', 'CLOSED' as const, 'hqAdmin' as const],
  ])('answers CONFLICT to %s, with the allowed states, and changes nothing', async (_case, document, status, caller) => {
    const store = await storeIn(status);
    const historyBefore = await historyRows(store.id);
    const answer = await harness.request(document, { id: store.id }, callers[caller]);
    expect(outcomeOf(answer)).toBe('CONFLICT');
    expect(answer.errors?.[0]?.extensions).toMatchObject({ reason: 'ILLEGAL_TRANSITION', status });
    expect((await db.selectFrom('stores').select('status').where('id', '=', store.id).executeTakeFirstOrThrow()).status).toBe(status);
    expect(await historyRows(store.id)).toBe(historyBefore);
  });

  it('records every transition in the history the owner reads, and shows it to nobody else', async () => {
    const store = await storeIn('SUSPENDED');
    const query = 'query ($id: ID!) { store(id: $id) { status statusHistory { transition from to by { id } reason } } }';
    const asOwner = await harness.request<{ store: { status: string; statusHistory: unknown[] } }>(query, { id: store.id }, callers.storeOwner);
    expect(asOwner.data?.store.statusHistory).toEqual([
      { transition: 'create', from: null, to: 'PENDING_APPROVAL', by: { id: callers.storeOwner.userId }, reason: null },
      { transition: 'approve', from: 'PENDING_APPROVAL', to: 'OPEN', by: { id: admin.userId }, reason: null },
      { transition: 'suspend', from: 'OPEN', to: 'SUSPENDED', by: { id: admin.userId }, reason: 'test' },
    ]);
    const reinstated = await harness.request<{ reinstateStore: { status: string } }>('mutation ($id: ID!) { reinstateStore(id: $id) { status } }', { id: store.id }, callers.hqAdmin);
    expect(reinstated.data?.reinstateStore.status).toBe('OPEN');
    const asCustomer = await harness.request<{ store: { statusHistory: unknown[] } }>(query, { id: store.id }, callers.customer);
    expect(asCustomer.data?.store.statusHistory).toEqual([]);
  });

  it('refuses to approve a store without opening hours, with the guard’s reason', async () => {
    const store = await storeIn('PENDING_APPROVAL', callers.storeOwner, { openingHours: [] });
    const answer = await harness.request('mutation ($id: ID!) { approveStore(id: $id) { id } }', { id: store.id }, callers.hqAdmin);
    expect(outcomeOf(answer)).toBe('CONFLICT');
    expect(answer.errors?.[0]?.message).toMatch(/no opening hours/);
  });
});

describe('store input', () => {
  it.each([
    ['an empty name', { name: '  ' }, /input\.name: name must not be empty/],
    ['a latitude beyond 90', { location: { lat: 91, lng: 0 } }, /input\.location\.lat: lat is between -90 and 90/],
    ['a longitude beyond 180', { location: { lat: 0, lng: -181 } }, /input\.location\.lng: lng is between -180 and 180/],
    ['an unknown category', { categoryIds: [randomUUID()] }, /categoryIds: unknown category/],
    ['no category', { categoryIds: [] }, /input\.categoryIds: a store is filed under at least one category/],
    ['a time zone that does not exist', { timeZone: 'Mars/Olympus_Mons' }, /input\.timeZone: "Mars\/Olympus_Mons" is not an IANA time zone/],
    ['overlapping hours', { openingHours: [{ weekday: 'MONDAY' as const, intervals: [{ opens: '09:00', closes: '12:00' }, { opens: '11:00', closes: '13:00' }] }] }, /intervals overlap/],
    ['a malformed time', { openingHours: [{ weekday: 'MONDAY' as const, intervals: [{ opens: '9am', closes: '12:00' }] }] }, /opens is a time "HH:MM"/],
  ])('rejects %s with BAD_USER_INPUT naming the field', async (_case, overrides, message) => {
    const answer = await harness.request(createDocument, { input: storeInput(overrides) }, callers.storeOwner);
    expect(outcomeOf(answer)).toBe('BAD_USER_INPUT');
    expect(answer.errors?.[0]?.message).toMatch(message);
  });

  it('rejects a page size over 50 and a cursor it did not issue', async () => {
    const tooMany = await harness.request('{ stores(first: 51) { edges { cursor } } }');
    expect(outcomeOf(tooMany)).toBe('BAD_USER_INPUT');
    expect(tooMany.errors?.[0]?.message).toMatch(/first must be at most 50/);
    expect(outcomeOf(await harness.request('{ stores(after: "bm9wZQ") { edges { cursor } } }'))).toBe('BAD_USER_INPUT');
  });

  it('updates only what changed, and keeps the canonical time zone name', async () => {
    const store = await storeIn('OPEN');
    const answer = await harness.request<{ updateStore: { name: string; timeZone: string; description: string | null } }>(
      'mutation ($id: ID!, $input: UpdateStoreInput!) { updateStore(id: $id, input: $input) { name timeZone description } }',
      { id: store.id, input: { timeZone: 'europe/berlin', description: null } },
      callers.storeOwner,
    );
    expect(answer.data?.updateStore).toEqual({ name: store.name, timeZone: 'Europe/Berlin', description: null });
  });
});

describe('browsing stores', () => {
  const city = `Browse-${randomUUID().slice(0, 6)}`;
  let listed: Store[];
  let pending: Store;
  let suspended: Store;

  beforeAll(async () => {
    listed = [];
    for (const name of ['Alpha', 'beta', 'Gamma', 'Delta', 'epsilon']) listed.push(await storeIn('OPEN', callers.storeOwner, { name: `${name} ${city}`, city }));
    listed.push(await storeIn('CLOSED', callers.otherStoreOwner, { name: `Zeta ${city}`, city, categoryIds: [categories.coffee], description: 'Espresso bar' }));
    pending = await storeIn('PENDING_APPROVAL', callers.storeOwner, { name: `Pending ${city}`, city });
    suspended = await storeIn('SUSPENDED', callers.otherStoreOwner, { name: `Suspended ${city}`, city });
  });

  async function allPages(caller: Caller, filter: Record<string, unknown>, first: number): Promise<string[]> {
    const names: string[] = [];
    let after: string | null = null;
    for (;;) {
      const answer: Awaited<ReturnType<typeof harness.request<{ stores: { edges: { node: { name: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>>> =
        await harness.request('query ($filter: StoreFilter, $first: Int, $after: String) { stores(filter: $filter, first: $first, after: $after) { edges { node { name } } pageInfo { hasNextPage endCursor } } }', { filter, first, after }, caller);
      if (!answer.data) throw new Error(JSON.stringify(answer.errors));
      names.push(...answer.data.stores.edges.map((edge) => edge.node.name));
      if (!answer.data.stores.pageInfo.hasNextPage) return names;
      after = answer.data.stores.pageInfo.endCursor;
    }
  }

  it('pages through the stores by name, case-insensitively, with no store twice or missing', async () => {
    const expected = listed.map((store) => store.name).sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' }));
    expect(await allPages(callers.anonymous, { city }, 2)).toEqual(expected);
    expect(await allPages(callers.anonymous, { city: city.toUpperCase() }, 50)).toEqual(expected);
  });

  it('shows pending and suspended stores only to their owner and hq_admin', async () => {
    const hidden = [pending.name, suspended.name];
    expect(await allPages(callers.anonymous, { city }, 50)).toEqual(expect.not.arrayContaining([pending.name]));
    expect((await allPages(callers.customer, { city }, 50)).filter((name) => hidden.includes(name))).toEqual([]);
    expect((await allPages(callers.storeOwner, { city }, 50)).filter((name) => hidden.includes(name))).toEqual([pending.name]);
    expect((await allPages(callers.hqAdmin, { city }, 50)).filter((name) => hidden.includes(name)).sort()).toEqual(hidden.sort());
    const byId = 'query ($id: ID!) { store(id: $id) { id } }';
    expect((await harness.request<{ store: unknown }>(byId, { id: pending.id }, callers.otherStoreOwner)).data?.store).toBeNull();
    expect((await harness.request<{ store: unknown }>(byId, { id: pending.id }, callers.storeOwner)).data?.store).toEqual({ id: pending.id });
  });

  it('filters by category, by text and by whether the hours say open at a given instant', async () => {
    expect(await allPages(callers.anonymous, { city, categoryId: categories.coffee }, 50)).toEqual([`Zeta ${city}`]);
    expect(await allPages(callers.anonymous, { city, text: 'espresso' }, 50)).toEqual([`Zeta ${city}`]);
    expect(await allPages(callers.anonymous, { city, text: '%' }, 50)).toEqual([]);
    expect(await allPages(callers.anonymous, { city, text: 'ZETA' }, 50)).toEqual([`Zeta ${city}`]);
    // Monday 2026-01-12 10:00 in Paris is 09:00Z: every listed store's hours say open; at 20:00Z none.
    expect(await allPages(callers.anonymous, { city, openNow: true, at: '2026-01-12T09:00:00Z' }, 50)).toHaveLength(listed.length);
    expect(await allPages(callers.anonymous, { city, openNow: true, at: '2026-01-12T20:00:00Z' }, 50)).toEqual([]);
    expect(await allPages(callers.anonymous, { city, openNow: false, at: '2026-01-12T20:00:00Z' }, 50)).toHaveLength(listed.length);
  });

  it('matches openNow in each store’s own time zone', async () => {
    const zoneCity = `Zones-${randomUUID().slice(0, 6)}`;
    await storeIn('OPEN', callers.storeOwner, { name: 'Tokyo branch', city: zoneCity, timeZone: 'Asia/Tokyo' });
    await storeIn('OPEN', callers.storeOwner, { name: 'New York branch', city: zoneCity, timeZone: 'America/New_York' });
    // 2026-01-12T15:00Z is 10:00 Monday in New York and 00:00 Tuesday in Tokyo.
    expect(await allPages(callers.anonymous, { city: zoneCity, openNow: true, at: '2026-01-12T15:00:00Z' }, 50)).toEqual(['New York branch']);
    const answer = await harness.request<{ stores: { edges: { node: { name: string; isOpenNow: boolean } }[] } }>(
      'query ($city: String) { stores(filter: { city: $city }) { edges { node { name isOpenNow(at: "2026-01-12T15:00:00Z") } } } }',
      { city: zoneCity },
    );
    expect(answer.data?.stores.edges.map((edge) => edge.node)).toEqual([
      { name: 'New York branch', isOpenNow: true },
      { name: 'Tokyo branch', isOpenNow: false },
    ]);
  });

  it('lists a category’s stores through Category.stores, pages included, and myStores for their owner', async () => {
    const answer = await harness.request<{ _entities: { stores: { edges: { node: { name: string } }[]; pageInfo: { hasNextPage: boolean } } }[] }>(
      'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Category { stores(first: 1) { edges { node { name } } pageInfo { hasNextPage } } } } }',
      { representations: [{ __typename: 'Category', id: categories.coffee }, { __typename: 'Category', id: categories.spare }] },
    );
    expect(answer.data?._entities[0]?.stores.edges).toHaveLength(1);
    expect(answer.data?._entities[1]?.stores).toEqual({ edges: [], pageInfo: { hasNextPage: false } });
    const mine = await harness.request<{ myStores: { id: string; status: string }[] }>('{ myStores { id status } }', {}, callers.otherStoreOwner);
    expect(mine.data?.myStores.map((store) => store.id)).toEqual(expect.arrayContaining([listed.at(-1)!.id, suspended.id]));
    expect(outcomeOf(await harness.request('{ myStores { id } }', {}, callers.customer))).toBe('FORBIDDEN');
  });
});

describe('batched resolution', () => {
  async function statementsFor(count: number): Promise<{ list: number; entities: number; categoryPages: number }> {
    const city = `Batch-${count}-${randomUUID().slice(0, 6)}`;
    const created: Store[] = [];
    for (let i = 0; i < count; i += 1) {
      created.push(await storeIn('OPEN', callers.storeOwner, { name: `Batch ${i}`, city, categoryIds: i % 2 ? [categories.bakery, categories.coffee] : [categories.spare] }));
    }
    const fields = 'name status isOpenNow openingHours { weekday intervals { opens closes } } location { lat lng } owner { id } categories { id } statusHistory { to }';

    statements = 0;
    // Monday 10:00 in Paris: every store's hours say open, so the openNow filter keeps them all.
    const list = await harness.request<{ stores: { edges: unknown[] } }>(
      `query ($city: String) { stores(filter: { city: $city, openNow: true, at: "2026-01-12T09:00:00Z" }, first: 50) { edges { node { ${fields} } } } }`,
      { city },
      callers.storeOwner,
    );
    expect(list.errors).toBeUndefined();
    expect(list.data?.stores.edges).toHaveLength(count);
    const listStatements = statements;

    statements = 0;
    const representations = created.map((store) => ({ __typename: 'Store', id: store.id }));
    const entities = await harness.request<{ _entities: unknown[] }>(`query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Store { ${fields} } } }`, { representations });
    expect(entities.data?._entities).toHaveLength(count);
    const entityStatements = statements;

    statements = 0;
    const categoryRefs = created.map(() => ({ __typename: 'Category', id: randomUUID() })).concat([{ __typename: 'Category', id: categories.bakery }]);
    const pages = await harness.request<{ _entities: unknown[] }>(
      `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Category { stores(first: 5) { edges { node { ${fields} } } } } } }`,
      { representations: categoryRefs },
    );
    expect(pages.errors).toBeUndefined();
    return { list: listStatements, entities: entityStatements, categoryPages: statements };
  }

  it('resolves 50 stores with hours, owner, categories and history in as many SQL statements as 5', async () => {
    const five = await statementsFor(5);
    const fifty = await statementsFor(50);
    expect(fifty).toEqual(five);
    expect(five.list).toBeLessThanOrEqual(4);
    expect(five.categoryPages).toBeLessThanOrEqual(5);
    expect(five.entities).toBeLessThanOrEqual(3);
  });
});
