import { connectSql, mysqlUrlSetting, runService, serve, service, startEventing } from '@x/kit';
import { validateTransitionTable } from './domain/order-status';
import { orderSubscriptions } from './events/handlers';
import { orderContext } from './schema/context';
import { resolvers, typeDefs } from './schema/resolvers';
import type { DB } from './store/generated/tables';
import { OrderStore } from './store/orders';

void runService(service('order'), { DATABASE_URL: mysqlUrlSetting('x_order') }, async (runtime) => {
  validateTransitionTable();
  const { config, lifecycle } = runtime;
  const sql = connectSql<DB>(config.DATABASE_URL);
  lifecycle.add('database', () => sql.close());

  const { broker, relay, consume } = await startEventing(runtime, { sql });
  const orders = new OrderStore(sql.db, relay);
  await consume(orderSubscriptions(orders));

  await serve(runtime, {
    readiness: { database: () => sql.ping(), broker: () => broker.ready() },
    subgraph: { typeDefs, resolvers, context: orderContext(orders, sql.db) },
  });
});
