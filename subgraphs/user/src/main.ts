import { mariadbAdapter, mysqlUrlSetting, runService, service, startEventing, startServiceServer } from '@x/kit';
import { profileSubscriptions } from './events/handlers';
import { userContext } from './schema/context';
import { resolvers, typeDefs } from './schema/resolvers';
import { profileRoutes } from './schema/rest';
import { PrismaClient } from './store/generated/client';
import { ProfileStore } from './store/profiles';

void runService(service('user'), { DATABASE_URL: mysqlUrlSetting('x_user') }, async (runtime) => {
  const { config, log, metrics, lifecycle, verifyToken } = runtime;
  const db = new PrismaClient({ adapter: mariadbAdapter(config.DATABASE_URL) });
  lifecycle.add('database', () => db.$disconnect());

  const { broker, relay, consume } = await startEventing(runtime, { db, transaction: (work) => db.$transaction(work) });
  const profiles = new ProfileStore(db, relay);
  await consume(profileSubscriptions(profiles));

  const server = await startServiceServer({
    name: 'user',
    host: config.HOST,
    port: config.PORT,
    production: config.NODE_ENV === 'production',
    log,
    metrics,
    verifyToken,
    readiness: { database: () => db.$queryRaw`SELECT 1`, broker: () => broker.ready() },
    subgraph: { typeDefs, resolvers, context: userContext(profiles) },
    rest: profileRoutes(profiles),
  });
  lifecycle.add('http', () => server.close());
});
