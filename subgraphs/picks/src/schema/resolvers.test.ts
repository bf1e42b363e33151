import { randomUUID } from 'node:crypto';
import { anonymous, mutationFieldsOf, outcomeOf, startSubgraphHarness, type Caller, type GraphQLAnswer, type SubgraphHarness } from '../../../../test/support/subgraph-harness';
import type { SqlDatabase } from '@x/kit';
import { countingDatabase, openTestDatabase, projectStore, type TestDatabase } from '../../test/support';
import type { Database } from '../store/database';
import type { DB } from '../store/generated/tables';
import { PickStore } from '../store/picks';
import { ReservationStore } from '../store/reservations';
import { StoreDirectory } from '../store/stores';
import { picksContext } from './context';
import { resolvers, typeDefs } from './resolvers';

type CallerName = 'anonymous' | 'customer' | 'otherStoreOwner' | 'storeOwner' | 'hqAdmin';

let database: TestDatabase;
let sql: SqlDatabase<DB>;
let db: Database;
let statements: string[];
let picks: PickStore;
let stores: StoreDirectory;
let harness: SubgraphHarness;
let callers: Record<CallerName, Caller>;
/** An OPEN store of `callers.storeOwner`; `otherStoreOwner` owns another one. */
let storeId: string;

beforeAll(async () => {
  database = await openTestDatabase('api');
  ({ sql, statements } = countingDatabase(database.url));
  db = sql.db;
  picks = new PickStore(db, { wake: () => undefined });
  stores = new StoreDirectory(db);
  harness = await startSubgraphHarness({ name: 'picks', typeDefs, resolvers, context: picksContext(picks, stores) });
  callers = {
    anonymous,
    customer: await harness.caller(['customer']),
    otherStoreOwner: await harness.caller(['store_owner']),
    storeOwner: await harness.caller(['store_owner']),
    hqAdmin: await harness.caller(['hq_admin']),
  };
  storeId = await projectStore(stores, db, { ownerId: callers.storeOwner.userId, status: 'OPEN' });
  await projectStore(stores, db, { ownerId: callers.otherStoreOwner.userId, status: 'OPEN' });
});

afterAll(async () => {
  await harness.close();
  await sql.close();
  await database.drop();
});

const pickFields = 'id name description price { amountMinor currency } stock reserved availableQuantity available images tags store { id } createdAt updatedAt';

interface PickAnswer {
  id: string;
  name: string;
  description: string | null;
  price: { amountMinor: number; currency: string };
  stock: number;
  reserved: number;
  availableQuantity: number;
  available: boolean;
  images: string[];
  tags: string[];
  store: { id: string };
}

const createPickDocument = `mutation ($input: CreatePickInput!) { createPick(input: $input) { ${pickFields} } }`;

async function createPick(input: Record<string, unknown> = {}, store = storeId, caller = callers.storeOwner): Promise<PickAnswer> {
  const answer = await harness.request<{ createPick: PickAnswer }>(
    createPickDocument,
    { input: { storeId: store, name: `Pick ${randomUUID().slice(0, 6)}`, price: { amountMinor: 1250, currency: 'EUR' }, stock: 10, ...input } },
    caller,
  );
  if (!answer.data?.createPick) throw new Error(`createPick failed: ${JSON.stringify(answer.errors)}`);
  return answer.data.createPick;
}

const picksOf = async (store: string) =>
  Number((await db.selectFrom('picks').select((eb) => eb.fn.countAll().as('n')).where('storeId', '=', store).executeTakeFirstOrThrow()).n);
const outboxRows = (type: string, pickId: string) => db.selectFrom('outbox').selectAll().where('type', '=', type).where('payload', 'like', `%${pickId}%`).execute();

async function outboxTypesFor(pickId: string): Promise<string[]> {
  const rows = await db.selectFrom('outbox').select(['type', 'payload']).orderBy('seq').execute();
  return rows.filter((row) => (JSON.parse(row.payload) as { subject: string }).subject === pickId).map((row) => row.type);
}

const storePicksDocument = `query ($representations: [_Any!]!, $first: Int, $after: String, $filter: PickFilter) {
  _entities(representations: $representations) { ... on Store { id picks(first: $first, after: $after, filter: $filter) { edges { cursor node { id name } } pageInfo { hasNextPage endCursor } } } }
}`;

type StorePicksAnswer = {
  _entities: { id: string; picks: { edges: { cursor: string; node: { id: string; name: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }[];
};

/** Store.picks as the gateway asks for it: an entity fetch with the stores' references. */
async function storePicks(storeIds: string[], args: { first?: number; after?: string; filter?: Record<string, unknown> } = {}, caller: Caller = anonymous) {
  return harness.request<StorePicksAnswer>(storePicksDocument, { representations: storeIds.map((id) => ({ __typename: 'Store', id })), ...args }, caller);
}

async function namesOf(store: string, filter: Record<string, unknown>, caller: Caller = anonymous): Promise<string[]> {
  const answer = await storePicks([store], { first: 50, filter }, caller);
  if (!answer.data) throw new Error(JSON.stringify(answer.errors));
  return answer.data._entities[0]!.picks.edges.map((edge) => edge.node.name);
}

describe('who may change picks', () => {
  interface Case {
    document: string;
    variables: (pickId: string) => Record<string, unknown>;
    expected: Record<CallerName, string>;
  }
  const ownerOnly: Record<CallerName, string> = { anonymous: 'UNAUTHENTICATED', customer: 'FORBIDDEN', otherStoreOwner: 'FORBIDDEN', storeOwner: 'ok', hqAdmin: 'FORBIDDEN' };
  // One row per mutation of the SDL; the first test fails when a mutation is missing here.
  const matrix: Record<string, Case> = {
    createPick: {
      document: createPickDocument,
      variables: () => ({ input: { storeId, name: 'Matrix pick', price: { amountMinor: 100, currency: 'EUR' } } }),
      expected: ownerOnly,
    },
    updatePick: {
      document: 'mutation ($id: ID!) { updatePick(id: $id, input: { name: "Renamed" }) { id name } }',
      variables: (id) => ({ id }),
      expected: ownerOnly,
    },
    deletePick: {
      document: 'mutation ($id: ID!) { deletePick(id: $id) }',
      variables: (id) => ({ id }),
      expected: { ...ownerOnly, hqAdmin: 'ok' },
    },
    setStock: {
      document: 'mutation ($id: ID!) { setStock(id: $id, stock: 3) { id stock } }',
      variables: (id) => ({ id }),
      expected: ownerOnly,
    },
    adjustStock: {
      document: 'mutation ($id: ID!) { adjustStock(id: $id, delta: 2) { id stock } }',
      variables: (id) => ({ id }),
      expected: ownerOnly,
    },
  };

  it('has a row for every mutation in the SDL', () => {
    expect(Object.keys(matrix).sort()).toEqual(mutationFieldsOf(typeDefs).sort());
  });

  const cells = Object.entries(matrix).flatMap(([mutation, row]) => Object.entries(row.expected).map(([caller, expected]) => [mutation, caller as CallerName, expected] as const));

  it.each(cells)('%s by %s: %s, and only an allowed call changes anything', async (mutation, callerName, expected) => {
    const row = matrix[mutation]!;
    const target = await createPick();
    const picksBefore = await picksOf(storeId);
    const answer = await harness.request(row.document, row.variables(target.id), callers[callerName]);

    expect(outcomeOf(answer)).toBe(expected);
    // An allowed call adds a pick or writes an event about the target; a refused one does neither.
    const addedPick = (await picksOf(storeId)) > picksBefore;
    const wroteEvent = (await outboxTypesFor(target.id)).length > 1;
    expect(addedPick || wroteEvent).toBe(expected === 'ok');
  });
});

describe('input validation', () => {
  const badCreates: [string, Record<string, unknown>, string][] = [
    ['an empty name', { name: '   ' }, 'input.name'],
    ['a negative price', { price: { amountMinor: -1, currency: 'EUR' } }, 'input.price.amountMinor'],
    ['a fractional price', { price: { amountMinor: 12.5, currency: 'EUR' } }, 'amountMinor'],
    ['a made-up currency', { price: { amountMinor: 100, currency: 'EUX' } }, 'input.price.currency'],
    ['a lower-case currency', { price: { amountMinor: 100, currency: 'eur' } }, 'input.price.currency'],
    ['negative stock', { stock: -1 }, 'input.stock'],
    ['an image that is not a URL', { images: ['not a url'] }, 'input.images.0'],
    ['an image URL that is not http(s)', { images: ['ftp://example.com/a.png'] }, 'input.images.0'],
    ['a store id that is not a UUID', { storeId: 'store-1' }, 'input.storeId'],
    ['a tag with punctuation only', { tags: ['!!'] }, 'input.tags.0'],
  ];

  it.each(badCreates)('refuses a pick with %s as BAD_USER_INPUT naming the field', async (_label, input, field) => {
    const answer = await harness.request(
      createPickDocument,
      { input: { storeId, name: 'Valid', price: { amountMinor: 100, currency: 'EUR' }, ...input } },
      callers.storeOwner,
    );
    expect(outcomeOf(answer)).toBe('BAD_USER_INPUT');
    expect(answer.errors?.[0]?.message).toContain(field);
  });

  it('refuses negative stock, a zero delta and an empty update as BAD_USER_INPUT', async () => {
    const pick = await createPick();
    const calls = [
      harness.request('mutation ($id: ID!) { setStock(id: $id, stock: -5) { id } }', { id: pick.id }, callers.storeOwner),
      harness.request('mutation ($id: ID!) { adjustStock(id: $id, delta: 0) { id } }', { id: pick.id }, callers.storeOwner),
      harness.request('mutation ($id: ID!) { updatePick(id: $id, input: {}) { id } }', { id: pick.id }, callers.storeOwner),
    ];
    expect((await Promise.all(calls)).map(outcomeOf)).toEqual(['BAD_USER_INPUT', 'BAD_USER_INPUT', 'BAD_USER_INPUT']);
    expect(await outboxTypesFor(pick.id)).toEqual(['picks.pick.created']);
  });

  it('refuses a page larger than 50 and a cursor it did not issue', async () => {
    const tooLarge = await storePicks([storeId], { first: 51 });
    expect(outcomeOf(tooLarge)).toBe('BAD_USER_INPUT');
    expect(tooLarge.errors?.[0]?.message).toContain('first must be at most 50');
    expect(outcomeOf(await storePicks([storeId], { first: 5, after: 'garbage' }))).toBe('BAD_USER_INPUT');
  });
});

describe('managing picks', () => {
  it('creates a pick with normalised tags, and picks.pick.created carries its snapshot', async () => {
    const pick = await createPick({
      name: '  Tomato soup ',
      description: '',
      tags: ['Vegan', ' vegan', 'Soup'],
      images: ['https://cdn.example.com/soup.jpg'],
      stock: 4,
      price: { amountMinor: 450, currency: 'EUR' },
    });
    expect(pick).toMatchObject({
      name: 'Tomato soup',
      description: null,
      tags: ['vegan', 'soup'],
      price: { amountMinor: 450, currency: 'EUR' },
      stock: 4,
      reserved: 0,
      availableQuantity: 4,
      available: true,
      store: { id: storeId },
    });
    const [row] = await outboxRows('picks.pick.created', pick.id);
    expect(JSON.parse(row!.payload)).toMatchObject({ subject: pick.id, data: { pickId: pick.id, storeId, name: 'Tomato soup', priceMinor: 450, stock: 4, tags: ['vegan', 'soup'] } });
  });

  it('names only the fields that really changed in picks.pick.updated, and writes nothing for a change to the same values', async () => {
    const pick = await createPick({ name: 'Bread', tags: ['bakery'] });
    const same = await harness.request('mutation ($id: ID!) { updatePick(id: $id, input: { name: "Bread", tags: ["Bakery"] }) { id } }', { id: pick.id }, callers.storeOwner);
    expect(outcomeOf(same)).toBe('ok');
    const changed = await harness.request<{ updatePick: PickAnswer }>(
      'mutation ($id: ID!) { updatePick(id: $id, input: { name: "Sourdough", price: { amountMinor: 525, currency: "EUR" }, available: false }) { id name available price { amountMinor } } }',
      { id: pick.id },
      callers.storeOwner,
    );
    expect(changed.data?.updatePick).toMatchObject({ name: 'Sourdough', available: false, price: { amountMinor: 525 } });
    const updates = await outboxRows('picks.pick.updated', pick.id);
    expect(updates.map((row) => (JSON.parse(row.payload) as { data: { changed: string[] } }).data.changed)).toEqual([['name', 'priceMinor', 'available']]);
  });

  it('sets and adjusts stock, but never below the units reserved by pending orders (CONFLICT)', async () => {
    const pick = await createPick({ stock: 5 });
    await new ReservationStore(db, { wake: () => undefined }).reserveStockForOrder(randomUUID(), storeId, [{ pickId: pick.id, quantity: 3 }]);

    const adjusted = await harness.request<{ adjustStock: PickAnswer }>('mutation ($id: ID!) { adjustStock(id: $id, delta: -2) { stock reserved availableQuantity } }', { id: pick.id }, callers.storeOwner);
    expect(adjusted.data?.adjustStock).toEqual({ stock: 3, reserved: 3, availableQuantity: 0 });
    const belowReserved = await harness.request('mutation ($id: ID!) { setStock(id: $id, stock: 2) { stock } }', { id: pick.id }, callers.storeOwner);
    expect(outcomeOf(belowReserved)).toBe('CONFLICT');
    expect(belowReserved.errors?.[0]?.message).toContain('3 units reserved');
    const raised = await harness.request<{ setStock: PickAnswer }>('mutation ($id: ID!) { setStock(id: $id, stock: 9) { stock availableQuantity } }', { id: pick.id }, callers.storeOwner);
    expect(raised.data?.setStock).toEqual({ stock: 9, availableQuantity: 6 });
  });

  it('deletes a pick: it disappears for everyone, a second delete is NOT_FOUND, and picks.pick.deleted says who', async () => {
    const pick = await createPick();
    expect(outcomeOf(await harness.request('mutation ($id: ID!) { deletePick(id: $id) }', { id: pick.id }, callers.hqAdmin))).toBe('ok');
    expect(outcomeOf(await harness.request('mutation ($id: ID!) { deletePick(id: $id) }', { id: pick.id }, callers.storeOwner))).toBe('NOT_FOUND');
    const seen = await harness.request<{ pick: PickAnswer | null }>('query ($id: ID!) { pick(id: $id) { id } }', { id: pick.id }, callers.storeOwner);
    expect(seen.data?.pick).toBeNull();
    const [row] = await outboxRows('picks.pick.deleted', pick.id);
    expect(JSON.parse(row!.payload)).toMatchObject({ data: { pickId: pick.id, storeId, deletedBy: callers.hqAdmin.userId } });
  });

  it('refuses picks for a store picks has not heard of (NOT_FOUND)', async () => {
    const answer = await harness.request(createPickDocument, { input: { storeId: randomUUID(), name: 'Orphan', price: { amountMinor: 1, currency: 'EUR' } } }, callers.storeOwner);
    expect(outcomeOf(answer)).toBe('NOT_FOUND');
  });
});

describe('who sees which picks', () => {
  let owner: Caller;
  let pendingStore: string;
  let openStore: string;
  let pendingPick: PickAnswer;
  let hiddenPick: PickAnswer;
  let shownPick: PickAnswer;

  beforeAll(async () => {
    owner = await harness.caller(['store_owner']);
    pendingStore = await projectStore(stores, db, { ownerId: owner.userId, status: 'PENDING_APPROVAL' });
    pendingPick = await createPick({ name: 'Not yet for sale' }, pendingStore, owner);
    openStore = await projectStore(stores, db, { ownerId: owner.userId, status: 'OPEN' });
    hiddenPick = await createPick({ name: 'Hidden', available: false }, openStore, owner);
    shownPick = await createPick({ name: 'Shown' }, openStore, owner);
  });

  const seesPick = async (pickId: string, caller: Caller) =>
    (await harness.request<{ pick: { id: string } | null }>('query ($id: ID!) { pick(id: $id) { id } }', { id: pickId }, caller)).data?.pick?.id === pickId;

  it('hides every pick of a store that is not OPEN from the public, but not from its owner and hq_admin', async () => {
    expect(await namesOf(pendingStore, {}, anonymous)).toEqual([]);
    expect(await namesOf(pendingStore, {}, callers.customer)).toEqual([]);
    expect(await seesPick(pendingPick.id, anonymous)).toBe(false);
    expect(await seesPick(pendingPick.id, callers.otherStoreOwner)).toBe(false);
    expect(await namesOf(pendingStore, {}, owner)).toEqual(['Not yet for sale']);
    expect(await namesOf(pendingStore, {}, callers.hqAdmin)).toEqual(['Not yet for sale']);
    expect(await seesPick(pendingPick.id, owner)).toBe(true);
    expect(await seesPick(pendingPick.id, callers.hqAdmin)).toBe(true);
  });

  it('hides a pick its owner marked unavailable from the public only', async () => {
    expect(await namesOf(openStore, {}, anonymous)).toEqual(['Shown']);
    expect(await seesPick(hiddenPick.id, callers.customer)).toBe(false);
    expect(await seesPick(shownPick.id, anonymous)).toBe(true);
    expect(await namesOf(openStore, {}, owner)).toEqual(['Hidden', 'Shown']);
  });

  it('shows the picks once the store opens, and hides them again when it closes', async () => {
    const opens = new Date(Date.now() + 1_000);
    await db.transaction().execute((tx) => stores.apply(tx, { storeId: pendingStore, ownerId: owner.userId, status: 'OPEN' }, opens));
    expect(await namesOf(pendingStore, {}, anonymous)).toEqual(['Not yet for sale']);
    await db.transaction().execute((tx) => stores.apply(tx, { storeId: pendingStore, ownerId: owner.userId, status: 'CLOSED' }, new Date(opens.getTime() + 1_000)));
    expect(await namesOf(pendingStore, {}, anonymous)).toEqual([]);
  });
});

describe('browsing a store', () => {
  let store: string;

  beforeAll(async () => {
    const owner = await harness.caller(['store_owner']);
    store = await projectStore(stores, db, { ownerId: owner.userId, status: 'OPEN' });
    const catalog: Record<string, unknown>[] = [
      { name: 'Apple pie', description: 'Baked with 100% butter', tags: ['bakery', 'sweet'] },
      { name: 'Banana bread', description: 'Moist loaf', tags: ['bakery'] },
      { name: 'Carrot soup', description: 'With ginger', tags: ['vegan', 'soup'], stock: 0 },
      { name: 'Dumplings', description: 'Steamed', tags: ['asian'] },
      { name: 'Elderflower lemonade', description: 'Fizzy_drink', tags: ['drinks', 'vegan'] },
    ];
    for (const input of catalog) await createPick(input, store, owner);
  });

  it('pages through a store by name with cursors', async () => {
    const first = await storePicks([store], { first: 2 });
    const page1 = first.data!._entities[0]!.picks;
    expect(page1.edges.map((edge) => edge.node.name)).toEqual(['Apple pie', 'Banana bread']);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const second = await storePicks([store], { first: 2, after: page1.pageInfo.endCursor! });
    expect(second.data!._entities[0]!.picks.edges.map((edge) => edge.node.name)).toEqual(['Carrot soup', 'Dumplings']);
    const last = await storePicks([store], { first: 2, after: second.data!._entities[0]!.picks.pageInfo.endCursor! });
    expect(last.data!._entities[0]!.picks.edges.map((edge) => edge.node.name)).toEqual(['Elderflower lemonade']);
    expect(last.data!._entities[0]!.picks.pageInfo.hasNextPage).toBe(false);
  });

  it('finds picks by words in the name, description or tags, case-insensitively, with % and _ matching themselves', async () => {
    expect(await namesOf(store, { text: 'BREAD' })).toEqual(['Banana bread']);
    expect(await namesOf(store, { text: 'ginger' })).toEqual(['Carrot soup']);
    expect(await namesOf(store, { text: 'vegan' })).toEqual(['Carrot soup', 'Elderflower lemonade']);
    expect(await namesOf(store, { text: '100%' })).toEqual(['Apple pie']);
    expect(await namesOf(store, { text: 'y_d' })).toEqual(['Elderflower lemonade']);
    expect(await namesOf(store, { text: '0%b' })).toEqual([]);
  });

  it('filters by tag and by what can be ordered now', async () => {
    expect(await namesOf(store, { tag: 'Bakery' })).toEqual(['Apple pie', 'Banana bread']);
    expect(await namesOf(store, { tag: 'vegan', availableOnly: true })).toEqual(['Elderflower lemonade']);
  });
});

describe('batching', () => {
  async function openStoresWithPicks(count: number): Promise<string[]> {
    const owner = await harness.caller(['store_owner']);
    const ids: string[] = [];
    for (let index = 0; index < count; index += 1) {
      const id = await projectStore(stores, db, { ownerId: owner.userId, status: 'OPEN' });
      await picks.create(id, { name: 'A', description: null, price: { amountMinor: 100, currency: 'EUR' }, stock: 1, available: true, images: [], tags: [] });
      await picks.create(id, { name: 'B', description: null, price: { amountMinor: 200, currency: 'EUR' }, stock: 1, available: true, images: [], tags: [] });
      ids.push(id);
    }
    return ids;
  }

  async function statementsFor<T>(request: () => Promise<GraphQLAnswer<T>>): Promise<number> {
    statements.length = 0;
    const answer = await request();
    if (answer.errors) throw new Error(JSON.stringify(answer.errors));
    return statements.length;
  }

  it('resolves Store.picks for 50 store references in as many SQL statements as for 5', async () => {
    const fifty = await openStoresWithPicks(50);
    const query = (ids: string[]) => () => storePicks(ids, { first: 10 }, callers.customer);

    const forFive = await statementsFor(query(fifty.slice(0, 5)));
    const forFifty = await statementsFor(query(fifty));

    // A window query ranks each store's page, then one query reads the page rows.
    expect(forFive).toBe(2);
    expect(forFifty).toBe(forFive);
    const answer = await storePicks(fifty, { first: 10 }, callers.customer);
    expect(answer.data!._entities.every((store) => store.picks.edges.map((edge) => edge.node.name).join() === 'A,B')).toBe(true);
  });

  it('resolves 50 Pick references with their visibility in as many SQL statements as 5', async () => {
    const storeIds = await openStoresWithPicks(25);
    const pickIds = (await db.selectFrom('picks').select('id').where('storeId', 'in', storeIds).execute()).map((pick) => pick.id);
    const document = 'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Pick { id name price { amountMinor } store { id } } } }';
    const query = (ids: string[]) => () => harness.request(document, { representations: ids.map((id) => ({ __typename: 'Pick', id })) }, anonymous);

    const forFive = await statementsFor(query(pickIds.slice(0, 5)));
    const forFifty = await statementsFor(query(pickIds));

    expect(pickIds).toHaveLength(50);
    // One query for the picks, one for their stores' projection rows.
    expect(forFive).toBe(2);
    expect(forFifty).toBe(forFive);
  });
});
