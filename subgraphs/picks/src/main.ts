import { mariadbAdapter, mysqlUrlSetting, runService, serve, service, startEventing } from '@x/kit';
import { picksSubscriptions } from './events/handlers';
import { picksContext } from './schema/context';
import { resolvers, typeDefs } from './schema/resolvers';
import { lockingTransaction } from './store/database';
import { PrismaClient } from './store/generated/client';
import { PickStore } from './store/picks';
import { ReservationStore } from './store/reservations';
import { StoreDirectory } from './store/stores';

void runService(service('picks'), { DATABASE_URL: mysqlUrlSetting('x_picks') }, async (runtime) => {
  const { config, lifecycle } = runtime;
  const db = new PrismaClient({ adapter: mariadbAdapter(config.DATABASE_URL) });
  lifecycle.add('database', () => db.$disconnect());

  const { broker, relay, consume } = await startEventing(runtime, { db, transaction: (work) => db.$transaction(work, lockingTransaction) });
  const stores = new StoreDirectory(db);
  const picks = new PickStore(db, relay);
  await consume(picksSubscriptions(stores, new ReservationStore(db, relay)));

  await serve(runtime, {
    readiness: { database: () => db.$queryRaw`SELECT 1`, broker: () => broker.ready() },
    subgraph: { typeDefs, resolvers, context: picksContext(picks, stores) },
  });
});
