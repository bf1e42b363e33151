import { mariadbAdapter, mysqlUrlSetting, runService, serve, service, startEventing } from '@x/kit';
import { categorySubscriptions } from './events/handlers';
import { categoriesContext } from './schema/context';
import { resolvers, typeDefs } from './schema/resolvers';
import { CategoryStore } from './store/categories';
import { PrismaClient } from './store/generated/client';

void runService(service('store-categories'), { DATABASE_URL: mysqlUrlSetting('x_store_categories') }, async (runtime) => {
  const { config, lifecycle } = runtime;
  const db = new PrismaClient({ adapter: mariadbAdapter(config.DATABASE_URL) });
  lifecycle.add('database', () => db.$disconnect());

  const { broker, relay, consume } = await startEventing(runtime, { db, transaction: (work) => db.$transaction(work) });
  const categories = new CategoryStore(db, relay);
  await consume(categorySubscriptions(categories));

  await serve(runtime, {
    readiness: { database: () => db.$queryRaw`SELECT 1`, broker: () => broker.ready() },
    subgraph: { typeDefs, resolvers, context: categoriesContext(categories) },
  });
});
