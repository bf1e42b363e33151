import { mariadbAdapter, mysqlUrlSetting, runService, serve, service, startEventing } from '@x/kit';
import { profileSubscriptions } from './events/handlers';
import { userContext } from './schema/context';
import { resolvers, typeDefs } from './schema/resolvers';
import { profileRoutes } from './schema/rest';
import { PrismaClient } from './store/generated/client';
import { ProfileStore } from './store/profiles';

void runService(service('user'), { DATABASE_URL: mysqlUrlSetting('x_user') }, async (runtime) => {
  const { config, lifecycle } = runtime;
  const db = new PrismaClient({ adapter: mariadbAdapter(config.DATABASE_URL) });
  lifecycle.add('database', () => db.$disconnect());

  const { broker, relay, consume } = await startEventing(runtime, { db, transaction: (work) => db.$transaction(work) });
  const profiles = new ProfileStore(db, relay);
  await consume(profileSubscriptions(profiles));

  await serve(runtime, {
    readiness: { database: () => db.$queryRaw`SELECT 1`, broker: () => broker.ready() },
    subgraph: { typeDefs, resolvers, context: userContext(profiles) },
    rest: profileRoutes(profiles),
  });
});
