import { connectSql, mysqlUrlSetting, runService, serve, service, startEventing } from '@x/kit';
import { categorySubscriptions } from './events/handlers';
import { categoriesContext } from './schema/context';
import { resolvers, typeDefs } from './schema/resolvers';
import { CategoryStore } from './store/categories';
import type { DB } from './store/generated/tables';

void runService(service('store-categories'), { DATABASE_URL: mysqlUrlSetting('x_store_categories') }, async (runtime) => {
  const { config, lifecycle } = runtime;
  const sql = connectSql<DB>(config.DATABASE_URL);
  lifecycle.add('database', () => sql.close());

  const { broker, relay, consume } = await startEventing(runtime, { sql });
  const categories = new CategoryStore(sql.db, relay);
  await consume(categorySubscriptions(categories));

  await serve(runtime, {
    readiness: { database: () => sql.ping(), broker: () => broker.ready() },
    subgraph: { typeDefs, resolvers, context: categoriesContext(categories) },
  });
});
