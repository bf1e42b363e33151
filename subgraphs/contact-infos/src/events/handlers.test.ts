import { randomUUID } from 'node:crypto';
import {
  AuthUserDeleted,
  buildEvent,
  connectBroker,
  createLogger,
  OutboxRelay,
  startConsumer,
  StoreCreated,
  StoreUpdated,
  type Broker,
  type Consumer,
} from '@x/kit';
import { ensureMongoInbox, mongoInbox, MongoOutbox } from '@x/kit/mongo';
import amqp from 'amqplib';
import type { Connection } from 'mongoose';
import { removeTestTopology } from '../../../../test/support/broker';
import { createTestMongo, describeWithMongo } from '../../../../test/support/mongo';
import { addContact, ownerKey, type Owner } from '../domain/contact-card';
import { ContactCards } from '../store/contact-cards';
import { StoreOwners } from '../store/store-owners';
import { contactSubscriptions } from './handlers';

describeWithMongo('contact-infos consumes store and account events', () => {
  const log = createLogger('contact-infos-test', 'silent');
  const exchange = `x.events.test-contact-infos-${randomUUID().slice(0, 8)}`;
  let database: Awaited<ReturnType<typeof createTestMongo>>;
  let connection: Connection;
  let broker: Broker;
  let relay: OutboxRelay;
  let consumer: Consumer;
  let cards: ContactCards;
  let storeOwners: StoreOwners;

  beforeAll(async () => {
    database = await createTestMongo('contact_infos_events');
    connection = database.connection;
    const outbox = new MongoOutbox(connection);
    storeOwners = new StoreOwners(connection);
    await Promise.all([outbox.init(), ensureMongoInbox(connection), storeOwners.init()]);
    broker = await connectBroker({ url: 'amqp://guest:guest@127.0.0.1:5672', exchange, name: 'contact-infos-test', log });
    relay = new OutboxRelay({ store: outbox, broker, log, pollIntervalMs: 50 });
    cards = new ContactCards(connection, outbox, relay);
    await cards.init();
    consumer = await startConsumer({ broker, queue: 'contact-infos', inbox: mongoInbox(connection), subscriptions: contactSubscriptions(cards, storeOwners), log, relay });
    relay.start();
  });

  afterAll(async () => {
    await consumer.stop();
    await relay.stop();
    await broker.close();
    await removeTestTopology(exchange, ['contact-infos']);
    await database.drop();
  });

  async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean): Promise<T> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const value = await probe();
      if (accept(value) || Date.now() > deadline) return value;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const snapshot = (storeId: string, ownerId: string, revision: number) => ({
    storeId,
    ownerId,
    name: 'Corner Shop',
    status: 'PENDING_APPROVAL' as const,
    categoryIds: [],
    city: 'Berlin',
    location: { lat: 52.52, lng: 13.4 },
    revision,
  });

  it('records who owns a store once however often the event comes, and follows newer snapshots only', async () => {
    const storeId = randomUUID();
    const [owner, newOwner] = [randomUUID(), randomUUID()];
    const created = buildEvent(StoreCreated, storeId, snapshot(storeId, owner, 1));
    await broker.publish(created);
    await broker.publish(created);
    expect(await eventually(() => storeOwners.find(storeId), (found) => found !== null)).toEqual({ storeId, ownerId: owner });
    await eventually(() => connection.collection('inbox').countDocuments({ eventId: created.id }), (count) => count === 1);

    const moved = { ...snapshot(storeId, newOwner, 3), changed: ['ownerId'], previousCategoryIds: [] };
    const stale = { ...snapshot(storeId, owner, 2), changed: ['name'], previousCategoryIds: [] };
    await broker.publish(buildEvent(StoreUpdated, storeId, moved));
    await broker.publish(buildEvent(StoreUpdated, storeId, stale));
    await eventually(() => connection.collection('inbox').countDocuments({ eventType: 'store.store.updated' }), (count) => count === 2);
    expect(await storeOwners.find(storeId)).toEqual({ storeId, ownerId: newOwner });
    expect(await connection.collection('inbox').countDocuments({ eventId: created.id })).toBe(1);
  });

  it("erases a deleted account's card and announces it with contact-infos.card.erased", async () => {
    const userId = randomUUID();
    const owner: Owner = { type: 'user', id: userId };
    const probe = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
    try {
      const channel = await probe.createChannel();
      const { queue } = await channel.assertQueue('', { exclusive: true });
      await channel.bindQueue(queue, exchange, 'contact-infos.card.erased');
      await cards.change(owner, (card, now) => addContact(card, 'phone', { label: 'Mobile', number: '+4915112345678' }, undefined, { id: randomUUID(), now }));

      await broker.publish(buildEvent(AuthUserDeleted, userId, { userId, deletedBy: userId }));

      expect(await eventually(() => cards.findByKeys([ownerKey(owner)]), (found) => found.length === 0)).toEqual([]);
      const message = await eventually(
        async () => (await channel.get(queue, { noAck: true })) || null,
        (found) => found !== null,
      );
      expect(message && JSON.parse(message.content.toString())).toMatchObject({ type: 'contact-infos.card.erased', data: { owner, addresses: 0, phones: 1, emails: 0 } });
    } finally {
      await probe.close();
    }
  });
});
