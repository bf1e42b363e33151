import { readFileSync, watch } from 'node:fs';
import type { SupergraphSdlHook } from '@apollo/gateway';
import { closeRedis, connectRedis, gateway as gatewayDefinition, redisUrlSetting, runService, serve } from '@x/kit';
import { z } from 'zod';
import { buildGateway } from './gateway-server';
import { supergraphFile } from './subgraphs';

const count = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const gatewayConfig = {
  SUPERGRAPH_FILE: z.string().min(1).default(supergraphFile),
  /** Reloads the supergraph when the file changes (development). */
  SUPERGRAPH_WATCH: z.stringbool().optional(),
  /** Persisted queries and per-consumer cost budgets, shared by every gateway replica. */
  REDIS_URL: redisUrlSetting(),
  GATEWAY_REDIS_KEY_PREFIX: z.string().default('x:gateway:'),
  GATEWAY_MAX_DEPTH: count(12),
  GATEWAY_MAX_ALIASES: count(30),
  GATEWAY_MAX_COST: count(20_000),
  /** Query cost one consumer (a user, or an address when anonymous) may spend per minute. */
  GATEWAY_COST_BUDGET_PER_MINUTE: count(200_000),
  /** How long the edge may cache an anonymous GET query's answer. */
  GATEWAY_PUBLIC_MAX_AGE_SECONDS: z.coerce.number().int().min(0).default(30),
  GATEWAY_BODY_LIMIT_BYTES: count(256 * 1024),
  GATEWAY_PERSISTED_QUERY_TTL_SECONDS: count(24 * 3600),
  GATEWAY_QUERY_PLAN_STORE_MIB: count(30),
};

/** `SUBGRAPH_URL_<NAME>` (e.g. SUBGRAPH_URL_STORE_CATEGORIES) points a subgraph elsewhere than the composed URL. */
function subgraphUrl(name: string, composedUrl: string): string {
  return process.env[`SUBGRAPH_URL_${name.toUpperCase().replace(/-/g, '_')}`] ?? composedUrl;
}

void runService(gatewayDefinition, gatewayConfig, async (runtime) => {
  const { config, log, lifecycle } = runtime;
  const watchFile = config.SUPERGRAPH_WATCH ?? config.NODE_ENV === 'development';
  const supergraphSdl: SupergraphSdlHook = async ({ update }) => {
    const watcher = watchFile
      ? watch(config.SUPERGRAPH_FILE, () => {
          try {
            update(readFileSync(config.SUPERGRAPH_FILE, 'utf8'));
            log.info({ file: config.SUPERGRAPH_FILE }, 'supergraph reloaded');
          } catch (error) {
            log.error({ err: error }, 'supergraph reload failed: keeping the previous one');
          }
        })
      : undefined;
    return { supergraphSdl: readFileSync(config.SUPERGRAPH_FILE, 'utf8'), cleanup: async () => watcher?.close() };
  };

  const redis = await connectRedis(config.REDIS_URL, { log, fallbackAtStart: 'persisted queries and cost budgets per replica' });
  lifecycle.add('redis', () => closeRedis(redis));

  const built = buildGateway({
    supergraphSdl,
    subgraphUrl,
    production: config.NODE_ENV === 'production',
    log,
    verifyToken: runtime.verifyToken,
    redis,
    redisKeyPrefix: config.GATEWAY_REDIS_KEY_PREFIX,
    limits: { maxDepth: config.GATEWAY_MAX_DEPTH, maxAliases: config.GATEWAY_MAX_ALIASES, maxCost: config.GATEWAY_MAX_COST },
    costBudgetPerMinute: config.GATEWAY_COST_BUDGET_PER_MINUTE,
    publicMaxAgeSeconds: config.GATEWAY_PUBLIC_MAX_AGE_SECONDS,
    persistedQueryTtlSeconds: config.GATEWAY_PERSISTED_QUERY_TTL_SECONDS,
    queryPlanStoreMiB: config.GATEWAY_QUERY_PLAN_STORE_MIB,
    metrics: runtime.metrics,
  });
  lifecycle.add('subgraph connections', built.close);

  await serve(runtime, { readiness: {}, gateway: built.options, bodyLimitBytes: config.GATEWAY_BODY_LIMIT_BYTES });
});
