import { connectSql, mysqlUrlSetting, runService, serve, service, startEventing } from '@x/kit';
import { picksSubscriptions } from './events/handlers';
import { picksContext } from './schema/context';
import { resolvers, typeDefs } from './schema/resolvers';
import type { DB } from './store/generated/tables';
import { PickStore } from './store/picks';
import { ReservationStore } from './store/reservations';
import { StoreDirectory } from './store/stores';

void runService(service('picks'), { DATABASE_URL: mysqlUrlSetting('x_picks') }, async (runtime) => {
  const { config, lifecycle } = runtime;
  const sql = connectSql<DB>(config.DATABASE_URL);
  lifecycle.add('database', () => sql.close());

  const { broker, relay, consume } = await startEventing(runtime, { sql });
  const stores = new StoreDirectory(sql.db);
  const picks = new PickStore(sql.db, relay);
  await consume(picksSubscriptions(stores, new ReservationStore(sql.db, relay)));

  await serve(runtime, {
    readiness: { database: () => sql.ping(), broker: () => broker.ready() },
    subgraph: { typeDefs, resolvers, context: picksContext(picks, stores) },
  });
});
