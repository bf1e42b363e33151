import { closeRedis, connectRedis, mariadbAdapter, runService, serve, service, startEventing } from '@x/kit';
import { headquarterConfig, kpiPrefix } from './config';
import { headquarterSubscriptions } from './events/handlers';
import { headquarterProjections } from './events/projections';
import { headquarterContext } from './schema/context';
import { resolvers, typeDefs } from './schema/resolvers';
import { AuditTrail } from './store/audit-trail';
import { PrismaClient } from './store/generated/client';
import { KpiStore } from './store/kpis';
import { StoreStates } from './store/store-states';

void runService(service('headquarter'), headquarterConfig, async (runtime) => {
  const { config, log, lifecycle } = runtime;
  const db = new PrismaClient({ adapter: mariadbAdapter(config.DATABASE_URL) });
  lifecycle.add('database', () => db.$disconnect());
  const redis = await connectRedis(config.REDIS_URL, { log });
  lifecycle.add('redis', () => closeRedis(redis));

  const audit = new AuditTrail(db);
  const stores = new StoreStates(db);
  const kpis = new KpiStore(redis, { prefix: kpiPrefix(config), guardTtlSeconds: config.HQ_APPLIED_GUARD_TTL_SECONDS });
  const { broker, consume } = await startEventing(runtime, { db, transaction: (work) => db.$transaction(work) });
  await consume(headquarterSubscriptions(headquarterProjections(stores), audit, kpis));

  await serve(runtime, {
    readiness: { database: () => db.$queryRaw`SELECT 1`, broker: () => broker.ready(), redis: () => redis.ping() },
    subgraph: { typeDefs, resolvers, context: headquarterContext(audit, stores, kpis) },
  });
});
