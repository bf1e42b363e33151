import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { connectSql, type SqlDatabase } from '@x/kit';
import { createTestDatabase } from '@x/kit/testing';
import { anonymous, mutationFieldsOf, outcomeOf, startSubgraphHarness, type Caller, type SubgraphHarness } from '../../../../test/support/subgraph-harness';
import { CategoryStore, type Category } from '../store/categories';
import type { DB } from '../store/generated/tables';
import { categoriesContext } from './context';
import { resolvers, typeDefs } from './resolvers';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let sql: SqlDatabase<DB>;
let categories: CategoryStore;
let harness: SubgraphHarness;
let statements = 0;
let callers: Record<'anonymous' | 'customer' | 'otherStoreOwner' | 'storeOwner' | 'hqAdmin', Caller>;

beforeAll(async () => {
  database = await createTestDatabase('store_categories_api', path.resolve(__dirname, '../../../../prisma/store-categories/migrations'));
  // Every SQL statement the subgraph sends, for the batching test.
  sql = connectSql<DB>(database.url, {
    connectionLimit: 5,
    onQuery: () => {
      statements += 1;
    },
  });
  categories = new CategoryStore(sql.db, { wake: () => undefined });
  harness = await startSubgraphHarness({ name: 'store-categories', typeDefs, resolvers, context: categoriesContext(categories) });
  callers = {
    anonymous,
    customer: await harness.caller(['customer']),
    otherStoreOwner: await harness.caller(['store_owner']),
    storeOwner: await harness.caller(['store_owner']),
    hqAdmin: await harness.caller(['hq_admin']),
  };
});

afterAll(async () => {
  await harness.close();
  await sql.close();
  await database.drop();
});

const unique = (name: string) => `${name} ${randomUUID().slice(0, 8)}`;

async function createCategory(input: Record<string, unknown>): Promise<{ id: string; slug: string; position: number }> {
  const answer = await harness.request<{ createCategory: { id: string; slug: string; position: number } }>(
    'mutation ($input: CreateCategoryInput!) { createCategory(input: $input) { id slug position } }',
    { input },
    callers.hqAdmin,
  );
  if (!answer.data?.createCategory) throw new Error(JSON.stringify(answer.errors));
  return answer.data.createCategory;
}

describe('who may change the category tree', () => {
  type CallerName = keyof typeof callers;
  interface Case {
    document: string;
    variables: () => Promise<Record<string, unknown>>;
    expected: Record<CallerName, string>;
  }
  const hqAdminOnly = { anonymous: 'UNAUTHENTICATED', customer: 'FORBIDDEN', otherStoreOwner: 'FORBIDDEN', storeOwner: 'FORBIDDEN', hqAdmin: 'ok' };
  // Store owners have no say over categories: "the store's owner" and "another store's owner" are both plain store_owners here.
  const matrix: Record<string, Case> = {
    createCategory: {
      document: 'mutation ($input: CreateCategoryInput!) { createCategory(input: $input) { id } }',
      variables: async () => ({ input: { name: unique('Matrix') } }),
      expected: hqAdminOnly,
    },
    updateCategory: {
      document: 'mutation ($id: ID!) { updateCategory(id: $id, input: { name: "Renamed" }) { id } }',
      variables: async () => ({ id: (await createCategory({ name: unique('Matrix') })).id }),
      expected: hqAdminOnly,
    },
    moveCategory: {
      document: 'mutation ($id: ID!, $parentId: ID) { moveCategory(id: $id, parentId: $parentId) { id } }',
      variables: async () => ({ id: (await createCategory({ name: unique('Matrix') })).id, parentId: (await createCategory({ name: unique('Parent') })).id }),
      expected: hqAdminOnly,
    },
    deleteCategory: {
      document: 'mutation ($id: ID!) { deleteCategory(id: $id) }',
      variables: async () => ({ id: (await createCategory({ name: unique('Matrix') })).id }),
      expected: hqAdminOnly,
    },
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

describe('category input', () => {
  it.each([
    ['an empty name', { name: '   ' }, /name: name must not be empty/],
    ['a malformed slug', { name: 'Tea', slug: 'Tea Leaves' }, /slug: slug is lowercase/],
    ['an unknown parent', { name: 'Tea', parentId: randomUUID() }, /parentId: no such category/],
    ['a negative position', { name: 'Tea', position: -1 }, /position: position must be at least 0/],
    ['a name with no letters or digits and no slug', { name: '***' }, /slug: the name has no letters or digits/],
  ])('rejects %s with BAD_USER_INPUT naming the field', async (_case, input, message) => {
    const answer = await harness.request('mutation ($input: CreateCategoryInput!) { createCategory(input: $input) { id } }', { input }, callers.hqAdmin);
    expect(outcomeOf(answer)).toBe('BAD_USER_INPUT');
    expect(answer.errors?.[0]?.message).toMatch(message);
  });

  it('answers CONFLICT for a slug another category has', async () => {
    const taken = await createCategory({ name: unique('Taken') });
    const answer = await harness.request('mutation ($input: CreateCategoryInput!) { createCategory(input: $input) { id } }', { input: { name: 'Other', slug: taken.slug } }, callers.hqAdmin);
    expect(outcomeOf(answer)).toBe('CONFLICT');
    expect(answer.errors?.[0]?.message).toContain(taken.slug);
  });

  it('rejects a move under the category’s own descendant with CONFLICT and leaves the tree as it was', async () => {
    const root = await createCategory({ name: unique('Root') });
    const child = await createCategory({ name: unique('Child'), parentId: root.id });
    const grandchild = await createCategory({ name: unique('Grandchild'), parentId: child.id });
    const answer = await harness.request('mutation ($id: ID!, $parentId: ID) { moveCategory(id: $id, parentId: $parentId) { id } }', { id: root.id, parentId: grandchild.id }, callers.hqAdmin);
    expect(outcomeOf(answer)).toBe('CONFLICT');
    expect((await categories.findByIds([root.id]))[0]?.parentId).toBeNull();
  });

  it('lets only one of two concurrent opposite moves win, so they cannot make a cycle together', async () => {
    const a = await createCategory({ name: unique('A') });
    const b = await createCategory({ name: unique('B') });
    const outcomes = await Promise.allSettled([categories.move(a.id, b.id, undefined), categories.move(b.id, a.id, undefined)]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(outcomes.find((outcome) => outcome.status === 'rejected')).toMatchObject({ reason: { code: 'CONFLICT' } });
    const rows = await categories.findByIds([a.id, b.id]);
    expect(rows.filter((row) => row.parentId !== null)).toHaveLength(1);
  });
});

describe('reading the tree', () => {
  it('returns roots with their children in position order, a flat list, and a category by slug', async () => {
    const root = await createCategory({ name: unique('Groceries') });
    const second = await createCategory({ name: unique('Zucchini'), parentId: root.id });
    const first = await createCategory({ name: unique('Apples'), parentId: root.id, position: 0 });
    await harness.request('mutation ($id: ID!) { updateCategory(id: $id, input: { position: 5 }) { id } }', { id: second.id }, callers.hqAdmin);

    const tree = await harness.request<{ categories: { id: string; parent: null; children: { id: string; parent: { id: string } }[] }[] }>(
      '{ categories(tree: true) { id parent { id } children { id parent { id } } } }',
    );
    const node = tree.data?.categories.find((category) => category.id === root.id);
    expect(node?.children.map((child) => child.id)).toEqual([first.id, second.id]);
    expect(node?.children[0]?.parent.id).toBe(root.id);
    expect(tree.data?.categories.every((category) => category.parent === null)).toBe(true);

    const flat = await harness.request<{ categories: { id: string }[] }>('{ categories { id } }');
    expect(flat.data?.categories.map((category) => category.id)).toEqual(expect.arrayContaining([root.id, first.id, second.id]));

    const bySlug = await harness.request<{ category: { id: string; storeCount: number } | null }>('query ($slug: String!) { category(slug: $slug) { id storeCount } }', { slug: root.slug });
    expect(bySlug.data?.category).toEqual({ id: root.id, storeCount: 0 });
  });
});

describe('what a change answers', () => {
  const stored = (id: string) => sql.db.selectFrom('categories').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  // At least a millisecond between changes, so each fresh stamp differs at the column's precision.
  const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

  it('is the row as stored, with updatedAt moved on every change and createdAt kept', async () => {
    const parent = await categories.create({ name: unique('Stamp parent') });
    const created = await categories.create({ name: unique('Stamped'), icon: 'leaf' });
    expect(created).toEqual(await stored(created.id));
    expect(created.updatedAt).toEqual(created.createdAt);

    await tick();
    const updated = await categories.update(created.id, { name: unique('Restamped'), icon: null });
    expect(updated).toEqual(await stored(created.id));
    expect(updated).toMatchObject({ slug: created.slug, icon: null, position: created.position, createdAt: created.createdAt });
    expect(updated.updatedAt.getTime()).toBeGreaterThan(created.updatedAt.getTime());

    await tick();
    const moved = await categories.move(created.id, parent.id, undefined);
    expect(moved).toEqual(await stored(created.id));
    expect(moved).toMatchObject({ name: updated.name, parentId: parent.id, position: 0, createdAt: created.createdAt });
    expect(moved.updatedAt.getTime()).toBeGreaterThan(updated.updatedAt.getTime());
  });
});

describe('batched resolution', () => {
  async function statementsFor(count: number): Promise<number> {
    const parent = await createCategory({ name: unique('Batch parent') });
    const created: Category[] = [];
    for (let i = 0; i < count; i += 1) created.push(await categories.create({ name: unique(`Batch ${i}`), parentId: parent.id }));
    for (const category of created.slice(0, 3)) await categories.create({ name: unique('Leaf'), parentId: category.id });
    const representations = created.map((category) => ({ __typename: 'Category', id: category.id }));
    statements = 0;
    const answer = await harness.request<{ _entities: { name: string }[] }>(
      'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Category { name slug storeCount openStoreCount linkedStoreCount parent { name } children { name children { name } } } } }',
      { representations },
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data?._entities).toHaveLength(count);
    return statements;
  }

  it('resolves 50 categories with parents, children and counts in as many SQL statements as 5', async () => {
    const forFive = await statementsFor(5);
    const forFifty = await statementsFor(50);
    expect(forFifty).toBe(forFive);
    expect(forFive).toBeLessThanOrEqual(5);
  });
});
