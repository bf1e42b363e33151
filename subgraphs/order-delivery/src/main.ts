import { mariadbAdapter, mysqlUrlSetting, runService, serve, service, startEventing } from '@x/kit';
import { validateTransitionTable } from './domain/delivery-status';
import { deliverySubscriptions } from './events/handlers';
import { deliveryContext } from './schema/context';
import { resolvers, typeDefs } from './schema/resolvers';
import { PrismaClient } from './store/database';
import { DeliveryStore } from './store/deliveries';
import { Projections } from './store/projections';

void runService(service('order-delivery'), { DATABASE_URL: mysqlUrlSetting('x_order_delivery') }, async (runtime) => {
  validateTransitionTable();
  const { config, lifecycle } = runtime;
  const db = new PrismaClient({ adapter: mariadbAdapter(config.DATABASE_URL) });
  lifecycle.add('database', () => db.$disconnect());

  const { broker, relay, consume } = await startEventing(runtime, { db, transaction: (work) => db.$transaction(work) });
  const projections = new Projections(db);
  const deliveries = new DeliveryStore(db, projections, relay);
  await consume(deliverySubscriptions(deliveries, projections));

  await serve(runtime, {
    readiness: { database: () => db.$queryRaw`SELECT 1`, broker: () => broker.ready() },
    subgraph: { typeDefs, resolvers, context: deliveryContext(deliveries, projections) },
  });
});
