import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './platform';

/**
 * `npm run seed`: a demo marketplace built through the public API at :9090 (so it exercises exactly
 * what clients use): categories, users of every role, approved stores in three cities, and their picks.
 * Running it again reuses what exists.
 */
const edgeUrl = process.env.EDGE_URL ?? 'http://127.0.0.1:9090';
const demoPassword = process.env.SEED_PASSWORD ?? 'demo password 2026';
const say = (line: string) => process.stdout.write(`[seed] ${line}\n`);

interface GraphQLAnswer<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function call<T>(pathname: string, body: unknown, token?: string): Promise<{ status: number; body: T }> {
  for (;;) {
    const response = await fetch(`${edgeUrl}${pathname}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    // The edge allows 10 logins and 10 sign-ups a minute per address: a second run soon after the first waits its turn.
    if (response.status === 429) {
      const seconds = Number(response.headers.get('retry-after') ?? 5);
      say(`the edge limits ${pathname} per address: waiting ${seconds} s`);
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      continue;
    }
    return { status: response.status, body: (await response.json()) as T };
  }
}

async function graphql<T>(query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const { body } = await call<GraphQLAnswer<T>>('/graphql', { query, variables }, token);
  if (body.errors?.length || !body.data) throw new Error(`${query.split('(')[0]}: ${body.errors?.map((e) => e.message).join('; ') ?? 'no data'}`);
  return body.data;
}

/** Registers the account unless it exists, then logs in. */
async function account(email: string, role: 'customer' | 'store_owner' | 'courier', displayName: string): Promise<string> {
  const registered = await call<{ error?: { code: string } }>('/auth/register', { email, password: demoPassword, role, displayName });
  if (registered.status !== 201 && registered.body.error?.code !== 'CONFLICT') throw new Error(`register ${email}: ${JSON.stringify(registered.body)}`);
  return login(email, demoPassword);
}

async function login(email: string, password: string): Promise<string> {
  const { status, body } = await call<{ accessToken?: string }>('/auth/login', { email, password });
  if (status !== 200 || !body.accessToken) throw new Error(`login ${email}: ${JSON.stringify(body)}`);
  return body.accessToken;
}

function hqAdminCredentials(): { email: string; password: string } {
  if (process.env.HQ_ADMIN_EMAIL && process.env.HQ_ADMIN_PASSWORD) return { email: process.env.HQ_ADMIN_EMAIL, password: process.env.HQ_ADMIN_PASSWORD };
  const file = path.join(repoRoot, '.x', 'secrets.json');
  if (!existsSync(file)) throw new Error('no hq_admin credentials: run `npm start` first (it writes .x/secrets.json) or set HQ_ADMIN_EMAIL/HQ_ADMIN_PASSWORD');
  return (JSON.parse(readFileSync(file, 'utf8')) as { hqAdmin: { email: string; password: string } }).hqAdmin;
}

async function category(admin: string, name: string, slug: string, parentId: string | null): Promise<string> {
  const found = await graphql<{ category: { id: string } | null }>('query ($slug: String!) { category(slug: $slug) { id } }', { slug });
  if (found.category) return found.category.id;
  const created = await graphql<{ createCategory: { id: string } }>(
    'mutation ($input: CreateCategoryInput!) { createCategory(input: $input) { id } }',
    { input: { name, slug, parentId } },
    admin,
  );
  return created.createCategory.id;
}

const everyDay = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'].map((weekday) => ({ weekday, intervals: [{ opens: '07:00', closes: '22:00' }] }));

const cities = [
  { city: 'Paris', timeZone: 'Europe/Paris', lat: 48.8566, lng: 2.3522, currency: 'EUR' },
  { city: 'Lyon', timeZone: 'Europe/Paris', lat: 45.764, lng: 4.8357, currency: 'EUR' },
  { city: 'Berlin', timeZone: 'Europe/Berlin', lat: 52.52, lng: 13.405, currency: 'EUR' },
];

const catalog: Record<string, { name: string; priceMinor: number; tags: string[] }[]> = {
  bakery: [
    { name: 'Baguette', priceMinor: 120, tags: ['bread'] },
    { name: 'Croissant', priceMinor: 150, tags: ['pastry'] },
    { name: 'Pain au chocolat', priceMinor: 170, tags: ['pastry'] },
    { name: 'Sourdough loaf', priceMinor: 480, tags: ['bread'] },
  ],
  groceries: [
    { name: 'Olive oil 1 l', priceMinor: 990, tags: ['pantry'] },
    { name: 'Eggs (10)', priceMinor: 390, tags: ['fresh'] },
    { name: 'Apples 1 kg', priceMinor: 290, tags: ['fruit', 'fresh'] },
    { name: 'Pasta 500 g', priceMinor: 180, tags: ['pantry'] },
  ],
  flowers: [
    { name: 'Tulips (10)', priceMinor: 1500, tags: ['bouquet'] },
    { name: 'Roses (12)', priceMinor: 2400, tags: ['bouquet'] },
    { name: 'Orchid in pot', priceMinor: 2900, tags: ['plant'] },
  ],
};

async function main(): Promise<void> {
  say(`seeding through ${edgeUrl}`);
  const { email, password } = hqAdminCredentials();
  const admin = await login(email, password);

  const food = await category(admin, 'Food', 'food', null);
  const categoryIds = {
    bakery: await category(admin, 'Bakery', 'bakery', food),
    groceries: await category(admin, 'Groceries', 'groceries', food),
    flowers: await category(admin, 'Flowers', 'flowers', null),
  };
  say('categories: food › bakery, food › groceries, flowers');

  const people = {
    owners: await Promise.all(['olive', 'oscar'].map((name) => account(`${name}.owner@demo.example`, 'store_owner', `${name[0]!.toUpperCase()}${name.slice(1)} (owner)`))),
    customers: await Promise.all(['carla', 'chen'].map((name) => account(`${name}@demo.example`, 'customer', name))),
    couriers: await Promise.all(['kim', 'kofi'].map((name) => account(`${name}.courier@demo.example`, 'courier', name))),
  };
  say(`users: olive.owner, oscar.owner, carla, chen, kim.courier, kofi.courier @demo.example — password "${demoPassword}"`);

  let stores = 0;
  let picks = 0;
  for (const [index, place] of cities.entries()) {
    for (const [kind, categoryId] of Object.entries(categoryIds)) {
      const owner = people.owners[(index + stores) % people.owners.length]!;
      const name = `${place.city} ${kind[0]!.toUpperCase()}${kind.slice(1)}`;
      const mine = await graphql<{ myStores: { id: string; name: string; status: string }[] }>('{ myStores { id name status } }', {}, owner);
      let store = mine.myStores.find((candidate) => candidate.name === name);
      if (!store) {
        // store learns of new categories through their events: retry until it knows this one.
        const created = await eventually(() => graphql<{ createStore: { id: string; name: string; status: string } }>(
          'mutation ($input: CreateStoreInput!) { createStore(input: $input) { id name status } }',
          {
            input: {
              name,
              description: `Demo ${kind} store in ${place.city}`,
              city: place.city,
              location: { lat: place.lat + index * 0.001, lng: place.lng + stores * 0.001 },
              categoryIds: [categoryId],
              timeZone: place.timeZone,
              openingHours: everyDay,
            },
          },
          owner,
        ));
        store = created.createStore;
      }
      if (store.status === 'PENDING_APPROVAL') {
        await graphql('mutation ($id: ID!) { approveStore(id: $id) { id } }', { id: store.id }, admin);
      }
      const existing = await graphql<{ store: { picks: { edges: unknown[] } } | null }>('query ($id: ID!) { store(id: $id) { picks(first: 1) { edges { cursor } } } }', { id: store.id }, owner);
      if (!existing.store?.picks.edges.length) {
        const items = catalog[kind] ?? [];
        await waitForPicksToKnowStore(owner, store.id);
        for (const item of items) {
          await graphql(
            'mutation ($input: CreatePickInput!) { createPick(input: $input) { id } }',
            { input: { storeId: store.id, name: item.name, price: { amountMinor: item.priceMinor, currency: place.currency }, stock: 50, tags: item.tags } },
            owner,
          );
          picks += 1;
        }
      }
      stores += 1;
    }
  }
  say(`stores: ${stores} approved across ${cities.map((c) => c.city).join(', ')}; ${picks} new picks`);
  say(`try: curl -s ${edgeUrl}/graphql -H 'content-type: application/json' -d '{"query":"{ stores(filter: {city: \\"Paris\\"}) { edges { node { name categories { name } picks { edges { node { name price { amountMinor currency } } } } } } } }"}'`);
}

/** Services learn of each other's changes through events: wait until picks knows the new store. */
async function waitForPicksToKnowStore(owner: string, storeId: string): Promise<void> {
  await until(async () => {
    const { body } = await call<GraphQLAnswer<unknown>>('/graphql', { query: 'query ($id: ID!) { store(id: $id) { picks(first: 1) { edges { cursor } } } }', variables: { id: storeId } }, owner);
    return !body.errors?.length;
  });
}

async function eventually<T>(attempt: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function until(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('the platform did not catch up in time (are all services running?)');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[seed] failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
