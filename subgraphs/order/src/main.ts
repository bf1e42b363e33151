import { mariadbAdapter, mysqlUrlSetting, runService, serve, service, startEventing } from '@x/kit';
import { validateTransitionTable } from './domain/order-status';
import { orderSubscriptions } from './events/handlers';
import { orderContext } from './schema/context';
import { resolvers, typeDefs } from './schema/resolvers';
import { PrismaClient } from './store/generated/client';
import { OrderStore } from './store/orders';

void runService(service('order'), { DATABASE_URL: mysqlUrlSetting('x_order') }, async (runtime) => {
  validateTransitionTable();
  const { config, lifecycle } = runtime;
  const db = new PrismaClient({ adapter: mariadbAdapter(config.DATABASE_URL) });
  lifecycle.add('database', () => db.$disconnect());

  const { broker, relay, consume } = await startEventing(runtime, { db, transaction: (work) => db.$transaction(work) });
  const orders = new OrderStore(db, relay);
  await consume(orderSubscriptions(orders));

  await serve(runtime, {
    readiness: { database: () => db.$queryRaw`SELECT 1`, broker: () => broker.ready() },
    subgraph: { typeDefs, resolvers, context: orderContext(orders, db) },
  });
});
