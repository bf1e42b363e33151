import { mariadbAdapter, mysqlUrlSetting, runService, serve, service, startEventing } from '@x/kit';
import { storeSubscriptions } from './events/handlers';
import { storeContext } from './schema/context';
import { resolvers, typeDefs } from './schema/resolvers';
import { PrismaClient } from './store/generated/client';
import { Stores } from './store/stores';

void runService(service('store'), { DATABASE_URL: mysqlUrlSetting('x_store') }, async (runtime) => {
  const { config, lifecycle } = runtime;
  const db = new PrismaClient({ adapter: mariadbAdapter(config.DATABASE_URL) });
  lifecycle.add('database', () => db.$disconnect());

  const { broker, relay, consume } = await startEventing(runtime, { db, transaction: (work) => db.$transaction(work) });
  // Validates the status transition table: a broken one stops the service here.
  const stores = new Stores(db, relay);
  await consume(storeSubscriptions(stores));

  await serve(runtime, {
    readiness: { database: () => db.$queryRaw`SELECT 1`, broker: () => broker.ready() },
    subgraph: { typeDefs, resolvers, context: storeContext(stores) },
  });
});
