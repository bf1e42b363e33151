import { ApolloGateway, type SupergraphSdlHook } from '@apollo/gateway';
import { errorCodes, type Logger, type Metrics, type ServiceServerOptions, type GraphQLContext, type TokenVerifier } from '@x/kit';
import type { GraphQLFormattedError } from 'graphql';
import type { Redis } from 'ioredis';
import { RedisKeyValueCache } from './apq-cache';
import { ForwardingDataSource, keepAliveFetcher } from './data-source';
import type { OperationLimits } from './limits';
import { consumerIdentifier, CostBudgets, gatewayPolicies } from './policies';

export interface GatewaySettings {
  /** The composed supergraph, or a hook that loads it and reports changes. */
  supergraphSdl: string | SupergraphSdlHook;
  /** Where a subgraph really is (the composed URL unless overridden). */
  subgraphUrl?: (name: string, composedUrl: string) => string;
  production: boolean;
  log: Logger;
  verifyToken: TokenVerifier;
  /** Persisted queries and cost budgets are shared through it; without it each replica keeps its own. */
  redis?: Redis;
  /** Prefix of the gateway's Redis keys (tests keep theirs apart). */
  redisKeyPrefix?: string;
  limits: OperationLimits;
  costBudgetPerMinute: number;
  publicMaxAgeSeconds: number;
  persistedQueryTtlSeconds: number;
  /** Query plans kept in memory (Apollo's LRU store), in MiB. */
  queryPlanStoreMiB: number;
  /** The clock of cost-budget windows (tests fix it). */
  now?: () => number;
  /** Subgraph fetch latencies go here (the process's metrics). */
  metrics?: Pick<Metrics, 'subgraphFetchDuration'>;
}

/** Codes whose messages are meant for clients; the rest is masked in production. */
const clientFacingCodes = new Set<string>([
  ...Object.keys(errorCodes),
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'QUERY_TOO_DEEP',
  'TOO_MANY_ALIASES',
  'QUERY_TOO_COSTLY',
  'COST_BUDGET_EXCEEDED',
]);

/** Extensions that describe the platform's insides (a subgraph's URL and raw answer, stacks). */
const internalExtensions = new Set(['exception', 'stacktrace', 'response', 'serviceName', 'query', 'variables']);

/**
 * Production error masking: an error with a client-facing code keeps its message and details minus
 * internal extensions; anything else (a subgraph that is down, a bug, SQL text) becomes
 * `internal error` with INTERNAL_SERVER_ERROR, keeping only its path so the client knows which
 * fields are missing.
 */
export function maskForClients(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && clientFacingCodes.has(code)) {
    const extensions = Object.fromEntries(Object.entries(formatted.extensions ?? {}).filter(([name]) => !internalExtensions.has(name)));
    return { ...formatted, extensions };
  }
  return {
    message: 'internal error',
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}

/**
 * The supergraph gateway: @apollo/gateway over the static supergraph, subgraph calls through a
 * keep-alive undici fetcher that shares identical in-flight queries, query plans cached (Apollo's
 * plan store, keyed by the operation), limits and cost budgets per operation, automatic persisted
 * queries in Redis, and production error masking.
 */
export function buildGateway(settings: GatewaySettings): {
  options: NonNullable<ServiceServerOptions<GraphQLContext>['gateway']>;
  fetches: { sent: number; shared: number };
  close(): Promise<void>;
} {
  const { fetcher, close, stats } = keepAliveFetcher();
  const subgraphUrl = settings.subgraphUrl ?? ((_name: string, url: string) => url);
  const gateway = new ApolloGateway({
    ...(typeof settings.supergraphSdl === 'string' ? { supergraphSdl: settings.supergraphSdl } : { supergraphSdl: settings.supergraphSdl }),
    buildService: ({ name, url }) => new ForwardingDataSource({ url: subgraphUrl(name, url ?? ''), fetcher }, settings.metrics ? { subgraph: name, metrics: settings.metrics } : undefined),
    experimental_approximateQueryPlanStoreMiB: settings.queryPlanStoreMiB,
    logger: settings.log,
  });
  const prefix = settings.redisKeyPrefix ?? 'x:gateway:';
  const budgets = new CostBudgets({ perMinute: settings.costBudgetPerMinute, redis: settings.redis, keyPrefix: `${prefix}cost:`, log: settings.log, now: settings.now });
  return {
    options: {
      gateway,
      plugins: [
        gatewayPolicies({
          limits: settings.limits,
          budgets,
          identify: consumerIdentifier(settings.verifyToken),
          publicMaxAgeSeconds: settings.publicMaxAgeSeconds,
        }),
      ],
      ...(settings.redis
        ? { persistedQueries: { cache: new RedisKeyValueCache(settings.redis, settings.log, prefix), ttl: settings.persistedQueryTtlSeconds } }
        : {}),
      ...(settings.production ? { formatError: maskForClients } : {}),
    },
    fetches: stats,
    close,
  };
}
