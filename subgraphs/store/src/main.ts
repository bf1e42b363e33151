import { connectSql, mysqlUrlSetting, runService, serve, service, startEventing } from '@x/kit';
import { storeSubscriptions } from './events/handlers';
import { storeContext } from './schema/context';
import { resolvers, typeDefs } from './schema/resolvers';
import type { DB } from './store/generated/tables';
import { Stores } from './store/stores';

void runService(service('store'), { DATABASE_URL: mysqlUrlSetting('x_store') }, async (runtime) => {
  const { config, lifecycle } = runtime;
  const sql = connectSql<DB>(config.DATABASE_URL);
  lifecycle.add('database', () => sql.close());

  const { broker, relay, consume } = await startEventing(runtime, { sql });
  // Validates the status transition table: a broken one stops the service here.
  const stores = new Stores(sql.db, relay);
  await consume(storeSubscriptions(stores));

  await serve(runtime, {
    readiness: { database: () => sql.ping(), broker: () => broker.ready() },
    subgraph: { typeDefs, resolvers, context: storeContext(stores) },
  });
});
