import { connectSql, mysqlUrlSetting, runService, serve, service, startEventing } from '@x/kit';
import { profileSubscriptions } from './events/handlers';
import { userContext } from './schema/context';
import { resolvers, typeDefs } from './schema/resolvers';
import { profileRoutes } from './schema/rest';
import type { DB } from './store/generated/tables';
import { ProfileStore } from './store/profiles';

void runService(service('user'), { DATABASE_URL: mysqlUrlSetting('x_user') }, async (runtime) => {
  const { config, lifecycle } = runtime;
  const sql = connectSql<DB>(config.DATABASE_URL);
  lifecycle.add('database', () => sql.close());

  const { broker, relay, consume } = await startEventing(runtime, { sql });
  const profiles = new ProfileStore(sql.db, relay);
  await consume(profileSubscriptions(profiles));

  await serve(runtime, {
    readiness: { database: () => sql.ping(), broker: () => broker.ready() },
    subgraph: { typeDefs, resolvers, context: userContext(profiles) },
    rest: profileRoutes(profiles),
  });
});
