import { mongoDatabaseSetting, mongoUrlSetting, runService, serve, service, startEventing } from '@x/kit';
import { connectMongo, ensureMongoInbox, mongoInbox, MongoOutbox } from '@x/kit/mongo';
import { contactSubscriptions } from './events/handlers';
import { contactContext } from './schema/context';
import { resolvers, typeDefs } from './schema/resolvers';
import { ContactCards } from './store/contact-cards';
import { StoreOwners } from './store/store-owners';

const definition = service('contact-infos');

void runService(definition, { MONGO_URL: mongoUrlSetting(), MONGO_DATABASE: mongoDatabaseSetting(definition.database) }, async (runtime) => {
  const { config, lifecycle } = runtime;
  // Without a MongoDB replica set this throws a StartupError: one log line that says what to start.
  const connection = await connectMongo({ url: config.MONGO_URL, database: config.MONGO_DATABASE });
  lifecycle.add('database', () => connection.close());

  // Collections and indexes exist before the first transaction (MongoDB builds no index inside one).
  const outbox = new MongoOutbox(connection);
  const storeOwners = new StoreOwners(connection);
  await Promise.all([outbox.init(), ensureMongoInbox(connection), storeOwners.init()]);

  const { broker, relay, consume } = await startEventing(runtime, { outbox, inbox: mongoInbox(connection) });
  const cards = new ContactCards(connection, outbox, relay);
  await cards.init();
  await consume(contactSubscriptions(cards, storeOwners));

  await serve(runtime, {
    readiness: { database: () => connection.getClient().db('admin').command({ ping: 1 }), broker: () => broker.ready() },
    subgraph: { typeDefs, resolvers, context: contactContext({ cards, storeOwners }) },
  });
});
