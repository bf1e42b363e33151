import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@x/kit';
import { MongoOutbox } from '@x/kit/mongo';
import type { Connection } from 'mongoose';
import { createTestMongo, describeWithMongo } from '../../../../test/support/mongo';
import { addContact, emptyCard, ownerKey, removeContact, updateContact, type ContactCard, type NewContact, type Owner } from '../domain/contact-card';
import { cardView } from '../schema/card-view';
import { cardModel, ContactCards, toCard, toDocument } from './contact-cards';
import { StoreOwners } from './store-owners';

const now = new Date('2026-11-24T10:00:00.000Z');
const home: NewContact<'address'> = { label: 'Home', lines: ['Hauptstr. 1', 'Hinterhaus'], city: 'Berlin', postalCode: '10115', country: 'DE', location: { lat: 52.53, lng: 13.38 } };

describe('mapping between cards, documents and the GraphQL ContactCard', () => {
  it('stores a card as one document keyed by owner and reads it back unchanged', () => {
    const owner: Owner = { type: 'store', id: randomUUID() };
    let card = addContact(emptyCard(owner), 'address', home, undefined, { id: randomUUID(), now }).card;
    card = addContact(card, 'phone', { label: 'Shop', number: '+49301234567' }, undefined, { id: randomUUID(), now }).card;
    card = addContact(card, 'email', { label: 'Orders', address: 'orders@example.com' }, undefined, { id: randomUUID(), now }).card;
    const document = toDocument(card, now);
    expect(document).toMatchObject({ _id: `store:${owner.id}`, ownerType: 'store', ownerId: owner.id, updatedAt: now });
    expect(document.addresses).toBe(card.lists.address);
    expect(toCard(document)).toEqual(card);
  });

  it('answers a missing card as empty lists, and a card’s lists under their GraphQL names', () => {
    expect(cardView(null)).toEqual({ addresses: [], phones: [], emails: [] });
    const card = addContact(emptyCard({ type: 'user', id: randomUUID() }), 'phone', { label: 'Mobile', number: '+4915112345678' }, undefined, { id: randomUUID(), now }).card;
    expect(cardView(card)).toEqual({ addresses: [], phones: card.lists.phone, emails: [] });
  });
});

describeWithMongo('contact cards in MongoDB', () => {
  let database: Awaited<ReturnType<typeof createTestMongo>>;
  let connection: Connection;
  let outbox: MongoOutbox;
  let cards: ContactCards;
  let storeOwners: StoreOwners;
  let wakes = 0;
  /** `find` commands sent to MongoDB, to count the queries a batch costs. */
  const finds: string[] = [];

  beforeAll(async () => {
    database = await createTestMongo('contact_cards');
    connection = database.connection;
    connection.getClient().on('commandStarted', (command) => {
      if (command.commandName === 'find') finds.push(String(command.command.find));
    });
    outbox = new MongoOutbox(connection);
    cards = new ContactCards(connection, outbox, { wake: () => void (wakes += 1) });
    storeOwners = new StoreOwners(connection);
    await Promise.all([outbox.init(), cards.init(), storeOwners.init()]);
  });

  afterAll(async () => {
    await database.drop();
  });

  const events = async (subject: string): Promise<EventEnvelope[]> =>
    (await connection.collection<{ payload: string; subject?: string }>('outbox').find({}).sort({ _id: 1 }).toArray())
      .map((record) => JSON.parse(record.payload) as EventEnvelope)
      .filter((event) => event.subject === subject);

  it('writes the card and its event in one transaction, then wakes the relay', async () => {
    const owner: Owner = { type: 'user', id: randomUUID() };
    const before = wakes;
    const card = await cards.change(owner, (current, at) => addContact(current, 'address', home, undefined, { id: randomUUID(), now: at }));
    expect(await cards.findByKeys([ownerKey(owner)])).toEqual([card]);
    const [event] = await events(owner.id);
    expect(event).toMatchObject({
      type: 'contact-infos.address.changed',
      source: 'contact-infos',
      data: { owner, itemId: card.lists.address[0]!.id, change: 'added', defaultItemId: card.lists.address[0]!.id },
    });
    expect(JSON.stringify(event)).not.toContain('Hauptstr');
    expect(wakes).toBe(before + 1);
  });

  it('writes nothing, card or event, when the edit is refused', async () => {
    const owner: Owner = { type: 'user', id: randomUUID() };
    await expect(cards.change(owner, (current, at) => removeContact(current, 'phone', randomUUID(), at))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await cards.findByKeys([ownerKey(owner)])).toEqual([]);
    expect(await events(owner.id)).toEqual([]);
  });

  it('keeps exactly one default when many changes to one card race', async () => {
    const owner: Owner = { type: 'store', id: randomUUID() };
    await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        cards.change(owner, (current, at) => addContact(current, 'phone', { label: `Line ${index}`, number: `+4930123450${index}` }, true, { id: randomUUID(), now: at })),
      ),
    );
    const [card] = await cards.findByKeys([ownerKey(owner)]);
    expect(card?.lists.phone).toHaveLength(8);
    expect(card?.lists.phone.filter((phone) => phone.isDefault)).toHaveLength(1);
    expect(await events(owner.id)).toHaveLength(8);
  });

  it('deletes the document when the last entry is removed', async () => {
    const owner: Owner = { type: 'user', id: randomUUID() };
    const card = await cards.change(owner, (current, at) => addContact(current, 'phone', { label: 'Mobile', number: '+4915112345678' }, undefined, { id: randomUUID(), now: at }));
    await cards.change(owner, (current, at) => updateContact(current, 'phone', card.lists.phone[0]!.id, { label: 'Private' }, at));
    await cards.change(owner, (current, at) => removeContact(current, 'phone', card.lists.phone[0]!.id, at));
    expect(await cardModel(connection).countDocuments({ _id: ownerKey(owner) })).toBe(0);
    expect((await events(owner.id)).map((event) => event.data)).toEqual([
      expect.objectContaining({ change: 'added' }),
      expect.objectContaining({ change: 'updated' }),
      expect.objectContaining({ change: 'removed', defaultItemId: null }),
    ]);
  });

  it('erases a user’s card with a card.erased event, and does nothing for a user without one', async () => {
    const owner: Owner = { type: 'user', id: randomUUID() };
    await cards.change(owner, (current, at) => addContact(current, 'address', home, undefined, { id: randomUUID(), now: at }));
    await connection.transaction((session) => cards.eraseUser(session, owner.id));
    await connection.transaction((session) => cards.eraseUser(session, randomUUID()));
    expect(await cards.findByKeys([ownerKey(owner)])).toEqual([]);
    expect((await events(owner.id)).map((event) => [event.type, event.data])).toContainEqual(['contact-infos.card.erased', { owner, addresses: 1, phones: 0, emails: 0 }]);
  });

  it('loads the cards of many owners with one find', async () => {
    const owners: Owner[] = Array.from({ length: 20 }, (_, index) => ({ type: index % 2 ? 'user' : 'store', id: randomUUID() }));
    for (const owner of owners.slice(0, 5)) {
      await cards.change(owner, (current, at) => addContact(current, 'phone', { label: 'Mobile', number: '+4915112345678' }, undefined, { id: randomUUID(), now: at }));
    }
    finds.length = 0;
    const found: ContactCard[] = await cards.findByKeys(owners.map(ownerKey));
    expect(found.map((card) => card.owner.id).sort()).toEqual(owners.slice(0, 5).map((owner) => owner.id).sort());
    expect(finds).toEqual(['contact_cards']);
  });

  it('projects store ownership, ignoring a snapshot older than the one held, by revision or else by event time', async () => {
    const storeId = randomUUID();
    const [first, second] = [randomUUID(), randomUUID()];
    const at = (seconds: number) => new Date(Date.UTC(2026, 11, 1, 12, 0, seconds));
    await connection.transaction((session) => storeOwners.apply(session, { storeId, ownerId: first, revision: 2 }, at(2)));
    await connection.transaction((session) => storeOwners.apply(session, { storeId, ownerId: second, revision: 1 }, at(1)));
    expect(await storeOwners.find(storeId)).toEqual({ storeId, ownerId: first });
    await connection.transaction((session) => storeOwners.apply(session, { storeId, ownerId: second, revision: 3 }, at(3)));
    expect(await storeOwners.find(storeId)).toEqual({ storeId, ownerId: second });
    // Without a revision, the event's time decides: a late, older snapshot does not roll ownership back.
    await connection.transaction((session) => storeOwners.apply(session, { storeId, ownerId: first }, at(0)));
    expect(await storeOwners.find(storeId)).toEqual({ storeId, ownerId: second });
    expect(await storeOwners.find(randomUUID())).toBeNull();
  });
});
