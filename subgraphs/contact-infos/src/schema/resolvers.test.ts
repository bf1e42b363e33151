import { randomUUID } from 'node:crypto';
import { anonymous, mutationFieldsOf, outcomeOf, startSubgraphHarness, type Caller, type SubgraphHarness } from '../../../../test/support/subgraph-harness';
import type { StoreOwnership } from '../domain/access';
import { addContact, emptyCard, ownerKey, type CardEdit, type ContactCard, type ContactKind, type NewContact, type Owner } from '../domain/contact-card';
import { contactContext, type CardStore, type StoreOwnerLookup } from './context';
import { resolvers, typeDefs } from './resolvers';

/**
 * The resolvers with the domain, validation, authorization and the real HTTP bootstrap, over in-memory
 * stand-ins for the two MongoDB stores (no MongoDB runs on this machine). ContactCards and StoreOwners
 * themselves are tested against MongoDB in store/*.test.ts and events/handlers.test.ts when one answers.
 */
class MemoryCards implements CardStore {
  readonly cards = new Map<string, ContactCard>();
  readonly fetches: string[][] = [];

  async findByKeys(keys: readonly string[]): Promise<ContactCard[]> {
    this.fetches.push([...keys]);
    return keys.flatMap((key) => this.cards.get(key) ?? []);
  }

  async change(owner: Owner, edit: (card: ContactCard, now: Date) => CardEdit): Promise<ContactCard> {
    const { card } = edit(this.cards.get(ownerKey(owner)) ?? emptyCard(owner), new Date());
    this.cards.set(ownerKey(owner), card);
    return card;
  }
}

class MemoryStoreOwners implements StoreOwnerLookup {
  readonly stores = new Map<string, StoreOwnership>();

  async find(storeId: string): Promise<StoreOwnership | null> {
    return this.stores.get(storeId) ?? null;
  }
}

const cards = new MemoryCards();
const storeOwners = new MemoryStoreOwners();
let harness: SubgraphHarness;
const callers: Record<string, Caller> = {};
const storeId = randomUUID();

beforeAll(async () => {
  harness = await startSubgraphHarness({ name: 'contact-infos', typeDefs, resolvers, context: contactContext({ cards, storeOwners }) });
  callers.anonymous = anonymous;
  callers.customer = await harness.caller(['customer']);
  callers["another store's owner"] = await harness.caller(['store_owner']);
  callers["the store's owner"] = await harness.caller(['store_owner']);
  callers.hq_admin = await harness.caller(['hq_admin']);
});

afterAll(async () => {
  await harness.close();
});

const home: NewContact<'address'> = { label: 'Home', lines: ['Hauptstr. 1'], city: 'Berlin', postalCode: '10115', country: 'DE', location: null };
const at = { now: new Date('2026-11-24T10:00:00.000Z') };

function seededCard(owner: Owner): ContactCard {
  let card = emptyCard(owner);
  const add = <K extends ContactKind>(kind: K, fields: NewContact<K>) => {
    card = addContact(card, kind, fields, undefined, { id: randomUUID(), ...at }).card;
  };
  add('address', home);
  add('phone', { label: 'Mobile', number: '+4915112345678' });
  if (owner.type === 'store') add('email', { label: 'Orders', address: 'orders@example.com' });
  return card;
}

/** A customer's card and a store's card with one entry of each kind, and the store's ownership. */
function seed(): { customer: ContactCard; store: ContactCard } {
  cards.cards.clear();
  storeOwners.stores.clear();
  storeOwners.stores.set(storeId, { storeId, ownerId: callers["the store's owner"]!.userId });
  const customer = seededCard({ type: 'user', id: callers.customer!.userId });
  const store = seededCard({ type: 'store', id: storeId });
  cards.cards.set(ownerKey(customer.owner), customer);
  cards.cards.set(ownerKey(store.owner), store);
  return { customer, store };
}

type OwnerArg = { type: 'USER' | 'STORE'; id: string };
const firstIdOf = (card: ContactCard, kind: ContactKind) => card.lists[kind][0]?.id ?? randomUUID();

/** One valid call of every mutation, on a seeded card. */
const mutations: Record<string, { query: string; variables: (owner: OwnerArg, card: ContactCard) => Record<string, unknown> }> = {
  addAddress: {
    query: 'mutation($owner: ContactOwnerInput!, $input: AddressInput!) { addAddress(owner: $owner, input: $input) { addresses { id } } }',
    variables: (owner) => ({ owner, input: { ...home, label: 'Work', location: { lat: 52.5, lng: 13.4 } } }),
  },
  updateAddress: {
    query: 'mutation($owner: ContactOwnerInput!, $id: ID!, $input: AddressPatch!) { updateAddress(owner: $owner, addressId: $id, input: $input) { addresses { id } } }',
    variables: (owner, card) => ({ owner, id: firstIdOf(card, 'address'), input: { city: 'Potsdam' } }),
  },
  removeAddress: {
    query: 'mutation($owner: ContactOwnerInput!, $id: ID!) { removeAddress(owner: $owner, addressId: $id) { addresses { id } } }',
    variables: (owner, card) => ({ owner, id: firstIdOf(card, 'address') }),
  },
  addPhone: {
    query: 'mutation($owner: ContactOwnerInput!, $input: PhoneInput!) { addPhone(owner: $owner, input: $input) { phones { id } } }',
    variables: (owner) => ({ owner, input: { label: 'Office', number: '+49 30 1234567' } }),
  },
  updatePhone: {
    query: 'mutation($owner: ContactOwnerInput!, $id: ID!, $input: PhonePatch!) { updatePhone(owner: $owner, phoneId: $id, input: $input) { phones { id } } }',
    variables: (owner, card) => ({ owner, id: firstIdOf(card, 'phone'), input: { label: 'Private' } }),
  },
  removePhone: {
    query: 'mutation($owner: ContactOwnerInput!, $id: ID!) { removePhone(owner: $owner, phoneId: $id) { phones { id } } }',
    variables: (owner, card) => ({ owner, id: firstIdOf(card, 'phone') }),
  },
  addEmail: {
    query: 'mutation($owner: ContactOwnerInput!, $input: EmailInput!) { addEmail(owner: $owner, input: $input) { emails { id } } }',
    variables: (owner) => ({ owner, input: { label: 'Support', address: 'support@example.com' } }),
  },
  updateEmail: {
    query: 'mutation($owner: ContactOwnerInput!, $id: ID!, $input: EmailPatch!) { updateEmail(owner: $owner, emailId: $id, input: $input) { emails { id } } }',
    variables: (owner, card) => ({ owner, id: firstIdOf(card, 'email'), input: { label: 'Bookings' } }),
  },
  removeEmail: {
    query: 'mutation($owner: ContactOwnerInput!, $id: ID!) { removeEmail(owner: $owner, emailId: $id) { emails { id } } }',
    variables: (owner, card) => ({ owner, id: firstIdOf(card, 'email') }),
  },
};

const callerNames = ['anonymous', 'customer', "another store's owner", "the store's owner", 'hq_admin'];

/** Runs every mutation as every caller on a freshly seeded card; a refused call must leave the card as it was. */
async function matrix(ownerOf: (seeded: ReturnType<typeof seed>) => ContactCard, names: string[]): Promise<Record<string, Record<string, string>>> {
  const result: Record<string, Record<string, string>> = {};
  for (const name of names) {
    result[name] = {};
    for (const who of callerNames) {
      const card = ownerOf(seed());
      const owner: OwnerArg = { type: card.owner.type === 'user' ? 'USER' : 'STORE', id: card.owner.id };
      const { query, variables } = mutations[name]!;
      const cell = outcomeOf(await harness.request(query, variables(owner, card), callers[who]));
      if (cell !== 'ok') expect(cards.cards.get(ownerKey(card.owner))).toEqual(card);
      result[name]![who] = cell;
    }
  }
  return result;
}

const row = (cells: string[]) => Object.fromEntries(callerNames.map((who, index) => [who, cells[index]!]));

describe('authorization of every mutation', () => {
  it('covers every mutation of the SDL', () => {
    expect(Object.keys(mutations).sort()).toEqual(mutationFieldsOf(typeDefs).sort());
  });

  it("lets only the store's owner and hq_admin change a store's card", async () => {
    const names = Object.keys(mutations);
    expect(await matrix((seeded) => seeded.store, names)).toEqual(
      Object.fromEntries(names.map((name) => [name, row(['UNAUTHENTICATED', 'FORBIDDEN', 'FORBIDDEN', 'ok', 'ok'])])),
    );
  });

  it("lets only the user themself and hq_admin change a user's card (e-mails are refused for users)", async () => {
    const names = Object.keys(mutations);
    const expected = Object.fromEntries(
      names.map((name) => [name, name.endsWith('Email') ? row(['UNAUTHENTICATED', 'BAD_USER_INPUT', 'FORBIDDEN', 'FORBIDDEN', 'BAD_USER_INPUT']) : row(['UNAUTHENTICATED', 'ok', 'FORBIDDEN', 'FORBIDDEN', 'ok'])]),
    );
    // Removing or updating a user's e-mail finds none: NOT_FOUND, still only for those allowed to look.
    for (const name of ['updateEmail', 'removeEmail']) expected[name] = row(['UNAUTHENTICATED', 'NOT_FOUND', 'FORBIDDEN', 'FORBIDDEN', 'NOT_FOUND']);
    expect(await matrix((seeded) => seeded.customer, names)).toEqual(expected);
  });

  it('answers NOT_FOUND for a store no store event announced yet, to its would-be owner and to hq_admin alike', async () => {
    seed();
    const { query, variables } = mutations.addPhone!;
    const unknownStore: OwnerArg = { type: 'STORE', id: randomUUID() };
    for (const who of ["the store's owner", 'hq_admin']) {
      const answer = await harness.request(query, variables(unknownStore, emptyCard({ type: 'store', id: unknownStore.id })), callers[who]);
      expect(outcomeOf(answer)).toBe('NOT_FOUND');
    }
  });
});

describe('mutations change the card and answer it whole', () => {
  it('adds an address as the new default and answers the moved defaults', async () => {
    const { customer } = seed();
    const answer = await harness.request<{ addAddress: { addresses: { label: string; isDefault: boolean; country: string; location: unknown }[] } }>(
      `mutation($owner: ContactOwnerInput!, $input: AddressInput!) {
        addAddress(owner: $owner, input: $input) { addresses { label isDefault country location { lat lng } } }
      }`,
      { owner: { type: 'USER', id: customer.owner.id }, input: { ...home, label: 'Work', country: 'fr', location: { lat: 48.86, lng: 2.35 }, isDefault: true } },
      callers.customer,
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.addAddress.addresses).toEqual([
      { label: 'Home', isDefault: false, country: 'DE', location: null },
      { label: 'Work', isDefault: true, country: 'FR', location: { lat: 48.86, lng: 2.35 } },
    ]);
  });

  it('answers BAD_USER_INPUT naming each wrong field, and changes nothing', async () => {
    const { customer } = seed();
    const answer = await harness.request(
      'mutation($owner: ContactOwnerInput!, $input: AddressInput!) { addAddress(owner: $owner, input: $input) { addresses { id } } }',
      { owner: { type: 'USER', id: customer.owner.id }, input: { ...home, country: 'Germany', location: { lat: 100, lng: 0 } } },
      callers.customer,
    );
    expect(outcomeOf(answer)).toBe('BAD_USER_INPUT');
    expect(answer.errors?.[0]?.message).toBe('input.country: country must be an ISO 3166-1 alpha-2 code, e.g. DE, FR or US; input.location.lat: lat must be between -90 and 90');
    expect(answer.errors?.[0]?.extensions?.fields).toHaveLength(2);
    expect(cards.cards.get(ownerKey(customer.owner))).toEqual(customer);
  });

  it('answers BAD_USER_INPUT for a phone number that is not E.164 and for an owner id that is not a UUID', async () => {
    const { customer } = seed();
    const phone = await harness.request(mutations.addPhone!.query, { owner: { type: 'USER', id: customer.owner.id }, input: { label: 'Mobile', number: '0151 1234567' } }, callers.customer);
    expect(phone.errors?.[0]).toMatchObject({ message: expect.stringMatching(/^input\.number: number must be an E\.164 phone number/), extensions: { code: 'BAD_USER_INPUT' } });
    const owner = await harness.request(mutations.addPhone!.query, { owner: { type: 'USER', id: 'me' }, input: { label: 'Mobile', number: '+4915112345678' } }, callers.customer);
    expect(owner.errors?.[0]).toMatchObject({ message: 'owner.id: id must be a user or store id (UUID)', extensions: { code: 'BAD_USER_INPUT' } });
  });
});

describe('User.addresses, User.phones and Store.contact', () => {
  const userFields = `query($representations: [_Any!]!) {
    _entities(representations: $representations) { ... on User { id addresses { label city } phones { number } } }
  }`;
  const storeFields = `query($representations: [_Any!]!) {
    _entities(representations: $representations) { ... on Store { id contact { addresses { city } phones { number } emails { address } } } }
  }`;

  it("shows a user's addresses and phones to the user and hq_admin only", async () => {
    const { customer } = seed();
    const representations = [{ __typename: 'User', id: customer.owner.id }];
    const expected = { id: customer.owner.id, addresses: [{ label: 'Home', city: 'Berlin' }], phones: [{ number: '+4915112345678' }] };
    for (const who of ['customer', 'hq_admin']) expect(await harness.request(userFields, { representations }, callers[who])).toEqual({ data: { _entities: [expected] } });
    for (const [who, code] of [
      ['anonymous', 'UNAUTHENTICATED'],
      ["the store's owner", 'FORBIDDEN'],
    ] as const) {
      const answer = await harness.request<{ _entities: unknown[] }>(userFields, { representations }, callers[who]);
      expect(answer.data?._entities).toEqual([{ id: customer.owner.id, addresses: null, phones: null }]);
      expect(answer.errors?.map((error) => error.extensions?.code)).toEqual([code, code]);
    }
  });

  it("shows a store's contact to anyone, and empty lists for a store without a card", async () => {
    const { store } = seed();
    const other = randomUUID();
    const answer = await harness.request(storeFields, { representations: [{ __typename: 'Store', id: store.owner.id }, { __typename: 'Store', id: other }] }, anonymous);
    expect(answer).toEqual({
      data: {
        _entities: [
          { id: store.owner.id, contact: { addresses: [{ city: 'Berlin' }], phones: [{ number: '+4915112345678' }], emails: [{ address: 'orders@example.com' }] } },
          { id: other, contact: { addresses: [], phones: [], emails: [] } },
        ],
      },
    });
  });

  it('loads the cards of 50 users and 50 stores with one query', async () => {
    seed();
    const users = Array.from({ length: 50 }, () => ({ __typename: 'User', id: randomUUID() }));
    const stores = Array.from({ length: 50 }, () => ({ __typename: 'Store', id: randomUUID() }));
    cards.fetches.length = 0;
    const answer = await harness.request(
      `query($representations: [_Any!]!) {
        _entities(representations: $representations) { ... on User { addresses { id } phones { id } } ... on Store { contact { phones { id } } } }
      }`,
      { representations: [...users, ...stores] },
      callers.hq_admin,
    );
    expect(answer.errors).toBeUndefined();
    expect(cards.fetches).toHaveLength(1);
    expect(cards.fetches[0]).toHaveLength(100);
  });
});
