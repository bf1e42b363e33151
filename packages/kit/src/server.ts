import { ApolloServer, type ApolloServerPlugin, type BaseContext, type PersistedQueryOptions } from '@apollo/server';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import fastifyApollo, { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import { GraphQLError, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import { correlationIdFrom, currentContext, enterContext } from './context';
import { DomainError, restErrorBody, serviceUnavailable } from './errors';
import { isDependencyUnavailable } from './events/dependency-failures';
import { graphqlMetricsPlugin } from './graphql-metrics';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import { bearerToken, type Principal, type TokenVerifier } from './principal';
import { SpanKind, markSpanFailed, startSpan } from './tracing';
import type { Span } from '@opentelemetry/api';

export interface GraphQLContext extends BaseContext {
  principal: Principal | null;
  correlationId: string;
  log: Logger;
}

export type Readiness = Record<string, () => Promise<unknown>>;

export interface ServiceServerOptions<TContext extends GraphQLContext> {
  name: string;
  host: string;
  port: number;
  production: boolean;
  log: Logger;
  metrics: Metrics;
  verifyToken: TokenVerifier;
  readiness: Readiness;
  subgraph?: {
    typeDefs: DocumentNode;
    resolvers: GraphQLResolverMap<TContext>;
    /** Adds per-request state (DataLoaders, stores) to the base context. */
    context: (base: GraphQLContext) => TContext;
  };
  /** The supergraph gateway runs on the same bootstrap, with a gateway in place of a schema. */
  gateway?: {
    gateway: GatewayInterface;
    plugins?: ApolloServerPlugin<GatewayContext>[];
    /** Automatic persisted queries (their cache, e.g. in Redis); Apollo's in-memory default when absent. */
    persistedQueries?: PersistedQueryOptions;
    /** Applied after the kit's own formatting: the gateway masks what subgraphs let through in production. */
    formatError?: (formatted: GraphQLFormattedError) => GraphQLFormattedError;
  };
  rest?: (app: FastifyInstance, authenticate: (request: FastifyRequest) => Promise<Principal | null>) => void;
  bodyLimitBytes?: number;
  /** Proxies whose X-Forwarded-For is believed (proxy-addr syntax); none when absent. */
  trustProxy?: string;
}

/** What the gateway forwards to subgraphs from the client's request. */
export interface GatewayContext extends BaseContext {
  correlationId: string;
  forwardedHeaders: Record<string, string>;
  /** The caller's address (X-Forwarded-For from a local edge): whom anonymous requests are counted against. */
  clientIp?: string;
}

const forwardedHeaderNames = ['authorization', 'x-correlation-id', 'traceparent', 'tracestate'] as const;

export interface ServiceServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

const readinessTimeoutMs = 2_000;
const untracedRoutes = new Set(['/health', '/ready', '/metrics']);

/**
 * The one HTTP bootstrap of every service: fastify with `/health`, `/ready`, `/metrics`, the
 * service's subgraph at `/graphql` and its REST routes, JSON errors, and one log line per request.
 */
export async function startServiceServer<TContext extends GraphQLContext>(
  options: ServiceServerOptions<TContext>,
): Promise<ServiceServer> {
  const { log, metrics } = options;
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // One line per request is written in onResponse below, not fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimitBytes ?? 1_048_576,
    // Client addresses (login throttling) come from X-Forwarded-For only when the edge is local.
    trustProxy: options.trustProxy ?? false,
    genReqId: (request) => correlationIdFrom(request.headers['x-correlation-id']),
    // Request logs get the correlation id from the async context (logger mixin), not a child binding.
    childLoggerFactory: (logger) => logger,
    return503OnClosing: true,
  });

  // The server span of each request; what the request causes (subgraph fetches, events) is its child.
  const spans = new WeakMap<FastifyRequest, Span>();
  app.addHook('onRequest', async (request, reply) => {
    const incoming = headerValue(request.headers.traceparent);
    const route = request.routeOptions.url ?? 'unmatched';
    // Probes and scrapes are not traced: they would bury the requests worth looking at.
    if (untracedRoutes.has(route)) {
      enterContext({ correlationId: request.id, traceparent: incoming });
      reply.header('x-correlation-id', request.id);
      return;
    }
    const { span, traceparent } = startSpan(`${request.method} ${route}`, SpanKind.SERVER, incoming, {
      'http.request.method': request.method,
      'http.route': route,
      'url.path': request.url.split('?')[0] ?? request.url,
      'x.correlation_id': request.id,
    });
    spans.set(request, span);
    enterContext({ correlationId: request.id, traceparent: traceparent ?? incoming });
    reply.header('x-correlation-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const span = spans.get(request);
    if (span) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) markSpanFailed(span, `status ${reply.statusCode}`);
      span.end();
    }
    metrics.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    if (route === '/health' || route === '/metrics') return;
    request.log.info(
      { method: request.method, route, url: request.url, status: reply.statusCode, latencyMs: Math.round(reply.elapsedTime * 10) / 10 },
      'request',
    );
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof DomainError) {
      const retryAfter = error.details?.retryAfterSeconds;
      if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
      return reply.status(error.status).send(restErrorBody(error));
    }
    const status = error.statusCode ?? 500;
    if (status < 500) {
      const code = status === 401 ? 'UNAUTHENTICATED' : status === 403 ? 'FORBIDDEN' : status === 404 ? 'NOT_FOUND' : status === 429 ? 'TOO_MANY_REQUESTS' : 'BAD_USER_INPUT';
      return reply.status(status).send({ error: { code, message: error.message } });
    }
    if (isDependencyUnavailable(error)) {
      request.log.warn({ err: error }, 'request failed: a dependency is down or saturated');
      const unavailable = serviceUnavailable();
      return reply.status(unavailable.status).header('retry-after', String(unavailable.details?.retryAfterSeconds)).send(restErrorBody(unavailable));
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'INTERNAL_SERVER_ERROR', message: 'internal error', correlationId: request.id } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route for ${request.method} ${request.url.split('?')[0]}` } }),
  );

  app.get('/health', async () => ({ status: 'ok', service: options.name }));
  app.get('/ready', async (_request, reply) => {
    const checks = await runReadiness(options.readiness);
    const ready = Object.values(checks).every((check) => check === 'ok');
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', service: options.name, checks });
  });
  app.get('/metrics', async (_request, reply) =>
    reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  const authenticate = async (request: FastifyRequest): Promise<Principal | null> => {
    const token = bearerToken(headerValue(request.headers.authorization));
    return token ? options.verifyToken(token) : null;
  };

  const formatError = (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof DomainError) {
      return { ...formatted, message: original.message, extensions: { ...formatted.extensions, code: original.code, ...original.details } };
    }
    if (original instanceof GraphQLError || formatted.extensions?.code !== 'INTERNAL_SERVER_ERROR') return formatted;
    if (isDependencyUnavailable(original)) {
      log.warn({ err: original }, 'resolver failed: a dependency is down or saturated');
      const unavailable = serviceUnavailable();
      return { message: unavailable.message, path: formatted.path, extensions: { code: unavailable.code, ...unavailable.details } };
    }
    log.error({ err: original }, 'resolver failed');
    return { message: 'internal error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
  const landingPage = options.production ? [ApolloServerPluginLandingPageDisabled()] : [];
  // Signals belong to the service's Lifecycle (HTTP first, then consumers, relay, connections). Outside
  // NODE_ENV=test Apollo would also catch SIGTERM, stop itself and send SIGTERM again, which the
  // Lifecycle takes for a second signal and exits at once, skipping the graceful shutdown.

  if (options.gateway) {
    const { gateway, plugins, persistedQueries, formatError: formatGatewayError } = options.gateway;
    const apollo = new ApolloServer<GatewayContext>({
      gateway,
      stopOnTerminationSignals: false,
      introspection: !options.production,
      includeStacktraceInErrorResponses: false,
      plugins: [fastifyApolloDrainPlugin(app), graphqlMetricsPlugin(metrics), ...landingPage, ...(plugins ?? [])],
      ...(persistedQueries ? { persistedQueries } : {}),
      formatError: formatGatewayError ? (formatted, error) => formatGatewayError(formatError(formatted, error)) : formatError,
    });
    await apollo.start();
    await app.register(fastifyApollo(apollo), {
      path: '/graphql',
      context: async (request) => ({ correlationId: request.id, forwardedHeaders: forwardedHeaders(request), clientIp: request.ip }),
    });
    // Apollo Sandbox (the landing page at /graphql) is where a browser at the gateway's root belongs.
    if (!options.production) app.get('/', async (_request, reply) => reply.redirect('/graphql'));
  }

  if (options.subgraph) {
    const { typeDefs, resolvers, context } = options.subgraph;
    const apollo = new ApolloServer<TContext>({
      schema: buildSubgraphSchema([{ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> }]),
      stopOnTerminationSignals: false,
      introspection: !options.production,
      includeStacktraceInErrorResponses: false,
      plugins: [fastifyApolloDrainPlugin(app), graphqlMetricsPlugin(metrics), ...landingPage],
      formatError,
    });
    await apollo.start();
    await app.register(fastifyApollo(apollo), {
      path: '/graphql',
      context: async (request) => {
        let principal: Principal | null;
        try {
          principal = await authenticate(request);
        } catch (error) {
          if (error instanceof DomainError) {
            throw new GraphQLError(error.message, { extensions: { code: error.code, http: { status: error.status } } });
          }
          throw error;
        }
        return context({ principal, correlationId: request.id, log: request.log as Logger });
      },
    });
  }

  options.rest?.(app, authenticate);

  const url = await app.listen({ host: options.host, port: options.port });
  log.info({ url }, `${options.name} listening`);
  return {
    app,
    url,
    close: async () => {
      await app.close();
    },
  };
}

async function runReadiness(checks: Readiness): Promise<Record<string, string>> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await withTimeout(check(), readinessTimeoutMs);
        return [name, 'ok'] as const;
      } catch (error) {
        return [name, error instanceof Error ? error.message : String(error)] as const;
      }
    }),
  );
  return Object.fromEntries(entries);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function forwardedHeaders(request: FastifyRequest): Record<string, string> {
  const headers: Record<string, string> = { 'x-correlation-id': request.id };
  for (const name of forwardedHeaderNames) {
    const value = headerValue(request.headers[name]);
    if (value && name !== 'x-correlation-id') headers[name] = value;
  }
  // The gateway's server span is the parent of its subgraph fetches (the incoming traceparent when tracing is off).
  const traceparent = currentContext()?.traceparent;
  if (traceparent) headers.traceparent = traceparent;
  return headers;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
