import { closeRedis, ConfigError, connectRedis, createLogger, loadConfig, mariadbAdapter, StartupError } from '@x/kit';
import { headquarterConfig, kpiPrefix } from './config';
import { headquarterProjections } from './events/projections';
import { rebuildReadModels } from './events/rebuild';
import { AuditTrail } from './store/audit-trail';
import { PrismaClient } from './store/generated/client';
import { KpiStore } from './store/kpis';
import { StoreStates } from './store/store-states';

/**
 * `npm run hq:rebuild`: clears headquarter's read models (approval queue, every KPI key under
 * HQ_REDIS_PREFIX) and replays the audit trail into them. Safe while headquarter runs.
 */
async function main(): Promise<number> {
  const log = createLogger('headquarter-rebuild');
  let config;
  try {
    config = loadConfig(headquarterConfig);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    log.fatal({ issues: error.issues }, error.message);
    return 2;
  }
  const db = new PrismaClient({ adapter: mariadbAdapter(config.DATABASE_URL, 2) });
  let redis;
  try {
    redis = await connectRedis(config.REDIS_URL, { log });
    const stores = new StoreStates(db);
    const report = await rebuildReadModels({
      db,
      audit: new AuditTrail(db),
      stores,
      kpis: new KpiStore(redis, { prefix: kpiPrefix(config), guardTtlSeconds: config.HQ_APPLIED_GUARD_TTL_SECONDS }),
      projections: headquarterProjections(stores),
      log,
    });
    log.info({ replayed: report.replayed, skipped: report.skipped.length, keysCleared: report.keysCleared }, 'headquarter read models rebuilt from the audit trail');
    return 0;
  } catch (error) {
    if (error instanceof StartupError) log.fatal(error.message);
    else log.fatal({ err: error }, 'rebuild failed');
    return 1;
  } finally {
    if (redis) await closeRedis(redis);
    await db.$disconnect();
  }
}

void main().then((code) => {
  process.exitCode = code;
});
