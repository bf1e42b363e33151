import { startTestPlatform, type TestPlatform } from '../support/platform';

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

async function post<T = Record<string, unknown>>(path: string, body: unknown, token?: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${platform.urls.edge}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

const graphql = async <T>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<Answer<T>> => (await post<Answer<T>>('/graphql', { query, variables }, token)).body;

/** Retries `attempt` while it answers undefined: the services learn of each other's changes through events, a moment later. */
async function until<T>(attempt: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function login(email: string, password: string): Promise<string> {
  const answer = await post<{ accessToken: string }>('/auth/login', { email, password });
  expect(answer.status).toBe(200);
  return answer.body.accessToken;
}

describe('the marketplace through the edge on :9090', () => {
  it('lets an owner open a store hq_admin approves, and an anonymous client find it by category and city with its picks', async () => {
    const run = Date.now().toString(36);
    const admin = await login(platform.hqAdmin.email, platform.hqAdmin.password);
    const ownerEmail = `owner-${run}@example.com`;
    expect((await post('/auth/register', { email: ownerEmail, password: 'correct horse battery', displayName: 'Olive Owner', role: 'store_owner' })).status).toBe(201);
    const owner = await login(ownerEmail, 'correct horse battery');

    const food = await graphql<{ createCategory: { id: string } }>('mutation ($input: CreateCategoryInput!) { createCategory(input: $input) { id } }', { input: { name: `Food ${run}` } }, admin);
    const bakery = await graphql<{ createCategory: { id: string; slug: string } }>(
      'mutation ($input: CreateCategoryInput!) { createCategory(input: $input) { id slug } }',
      { input: { name: `Bakery ${run}`, parentId: food.data?.createCategory.id } },
      admin,
    );
    const category = bakery.data!.createCategory;

    const city = `Lyon-${run}`;
    const storeInput = {
      name: 'Le Fournil',
      city,
      location: { lat: 45.76, lng: 4.84 },
      categoryIds: [category.id],
      timeZone: 'Europe/Paris',
      openingHours: [{ weekday: 'MONDAY', intervals: [{ opens: '07:00', closes: '19:00' }] }],
    };
    // The store service accepts the category once CategoryCreated has reached its projection.
    const created = await until(async () => {
      const answer = await graphql<{ createStore: { id: string; status: string } }>('mutation ($input: CreateStoreInput!) { createStore(input: $input) { id status } }', { input: storeInput }, owner);
      return answer.data?.createStore;
    });
    expect(created.status).toBe('PENDING_APPROVAL');

    const anonymousBefore = await graphql<{ stores: { edges: unknown[] } }>('query ($city: String) { stores(filter: { city: $city }) { edges { node { id } } } }', { city });
    expect(anonymousBefore.data?.stores.edges).toEqual([]);

    const approved = await graphql<{ approveStore: { status: string } }>('mutation ($id: ID!) { approveStore(id: $id) { status } }', { id: created.id }, admin);
    expect(approved.data?.approveStore.status).toBe('OPEN');

    const pick = await graphql<{ createPick: { id: string } }>(
      'mutation ($input: CreatePickInput!) { createPick(input: $input) { id } }',
      { input: { storeId: created.id, name: 'Baguette', price: { amountMinor: 120, currency: 'EUR' }, stock: 30 } },
      owner,
    );
    expect(pick.errors).toBeUndefined();

    const query = `query ($city: String, $categoryId: ID, $slug: String!) {
      stores(filter: { city: $city, categoryId: $categoryId }) {
        edges { node { name status isOpenNow(at: "2026-01-12T09:00:00Z") categories { name slug parent { id } } picks { edges { node { name } } } } }
      }
      category(slug: $slug) { storeCount openStoreCount stores { edges { node { name } } } }
    }`;
    const found = await until(async () => {
      const answer = await graphql<{
        stores: { edges: { node: { picks: { edges: unknown[] } } }[] };
        category: { storeCount: number } | null;
      }>(query, { city, categoryId: category.id, slug: category.slug });
      const ready = answer.data?.stores.edges[0]?.node.picks.edges.length === 1 && answer.data.category?.storeCount === 1;
      return ready ? answer : undefined;
    });
    expect(found.errors).toBeUndefined();
    expect(found.data).toEqual({
      stores: {
        edges: [
          {
            node: {
              name: 'Le Fournil',
              status: 'OPEN',
              isOpenNow: true,
              categories: [{ name: `Bakery ${run}`, slug: category.slug, parent: { id: food.data?.createCategory.id } }],
              picks: { edges: [{ node: { name: 'Baguette' } }] },
            },
          },
        ],
      },
      category: { storeCount: 1, openStoreCount: 1, stores: { edges: [{ node: { name: 'Le Fournil' } }] } },
    });
  }, 60_000);
});
