import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import path from 'node:path';
import replyFrom from '@fastify/reply-from';
import { baseConfigShape, createLogger, edge, gateway, Lifecycle, loadConfig, portSetting, profileOnSignal, services, type Logger } from '@x/kit';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import { Agent, Pool } from 'undici';
import { z } from 'zod';
import { isConnectFailure, isTimeout } from './health';
import { loadKongConfig, type KongPlugin } from './kong-config';
import type { AccessLogLine, PluginEnvironment, PluginExit, PluginInstance, ProxyContext } from './plugins/plugin';
import { effectivePlugins, Router, type RouteMatch } from './router';
import { buildUpstreamServices, type UpstreamService } from './upstreams';

export type { AccessLogLine } from './plugins/plugin';

export const defaultKongConfigPath = path.resolve(__dirname, '..', 'kong.yml');

/** Answered by the local edge itself, never proxied, and left out of the access log. */
export const readinessPath = '/__edge/ready';

export interface EdgeOptions {
  /** The Kong declarative file; default kong/kong.yml. */
  configPath?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** What compose service names (auth, gateway, …) resolve to without a compose network. */
  upstreamHost?: string;
  /**
   * `host:port` by Kong service or upstream name, or by a host name of kong.yml:
   * `{ auth: '127.0.0.1:4100', 'gateway-upstream': '127.0.0.1:4200' }`.
   */
  upstreamOverrides?: Readonly<Record<string, string>>;
  log?: Logger;
  /** Where file-log lines go instead of the path kong.yml names (tests). */
  accessLog?: (line: AccessLogLine) => void;
  /** Prefix of every Redis key the edge writes (rate-limit counters); tests isolate themselves with it. */
  redisKeyPrefix?: string;
  /** The clock of windows and expiries, in ms since the epoch (tests fix it). */
  now?: () => number;
}

export interface RunningEdge {
  url: string;
  /** Stops taking connections, lets requests in flight finish, then closes upstream connections. */
  close(): Promise<void>;
}

interface RequestState {
  context: ProxyContext;
  match: RouteMatch | undefined;
  target?: string;
}

// Compose service names: kong.yml addresses every process of the platform, and Redis, by one of these.
const platformHosts: ReadonlySet<string> = new Set([...services.map((service) => service.name), gateway.name, 'redis']);

/** The local stand-in for Kong: the routes and plugins of kong.yml, proxied over undici with keep-alive. */
export async function startEdge(options: EdgeOptions = {}): Promise<RunningEdge> {
  const log = options.log ?? createLogger('edge');
  const config = await loadKongConfig(options.configPath ?? defaultKongConfigPath);
  const { services: upstreamServices, resolver, healthCheckers } = buildUpstreamServices(config, {
    platformHosts,
    platformAddress: options.upstreamHost ?? '127.0.0.1',
    overrides: options.upstreamOverrides,
    log,
  });

  const closers: (() => Promise<void> | void)[] = [];
  const consumersByName = new Map(config.consumers.map((consumer) => [consumer.username, consumer]));
  const secretsByKey = new Map(config.consumers.flatMap((consumer) => consumer.jwtSecrets.map((secret) => [secret.key, { consumer, secret }] as const)));
  const environment: PluginEnvironment = {
    log,
    now: options.now ?? Date.now,
    resolveHost: (host, port) => resolver.address(host, port),
    consumer: (nameOrId) => consumersByName.get(nameOrId),
    jwtSecret: (key) => secretsByKey.get(key),
    redisKeyPrefix: options.redisKeyPrefix ?? '',
    accessLogSink: options.accessLog,
    onClose: (close) => closers.push(close),
  };
  // Each plugin entry of kong.yml is one instance, shared by every route it applies to (counters, caches).
  const instances = new Map<KongPlugin, PluginInstance>();
  const bind = (plugin: KongPlugin): PluginInstance => {
    let instance = instances.get(plugin);
    if (!instance) {
      instance = plugin.create(environment);
      instances.set(plugin, instance);
    }
    return instance;
  };
  const router = new Router(config, upstreamServices, bind);
  const globalPlugins = effectivePlugins(bind, config.plugins);
  for (const checker of healthCheckers) {
    checker.start();
    closers.push(() => checker.stop());
  }
  const closePlugins = async () => {
    for (const close of closers.reverse()) await close();
  };

  const agent = upstreamAgent(upstreamServices.values());

  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // The edge writes its own access line per request.
    logController: new LogController({ disableRequestLogging: true }),
    // Its 503 body is fastify's shape; the onRequest hook answers in the edge's own while closing.
    return503OnClosing: false,
    clientErrorHandler: answerClientError,
    // A URL the router cannot decode never reaches the hooks or the error handler.
    frameworkErrors: (error, _request, reply) => sendError(reply, error.statusCode ?? 400, error.message),
  });
  await app.register(replyFrom, { undici: agent, disableRequestLogging: true });

  // Bodies are forwarded as they arrive: the edge parses none of them.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  const states = new WeakMap<FastifyRequest, RequestState>();
  let closing = false;

  app.addHook('onRequest', async (request, reply) => {
    if (request.raw.url === readinessPath) return undefined;
    const match = closing ? undefined : router.match(request.method, requestPath(request), request.headers);
    states.set(request, {
      context: {
        request,
        route: match?.route ?? null,
        plugins: match?.route.plugins ?? globalPlugins,
        upstreamHeaders: {},
        clientIp: request.socket.remoteAddress ?? '',
      },
      match,
    });
    if (closing) return sendError(reply, 503, 'the edge is shutting down');
    return undefined;
  });

  app.addHook('onSend', async (request, reply, payload) => {
    // Answers finishing during shutdown close their connection, so the server can close without waiting on keep-alive.
    if (closing) reply.header('connection', 'close');
    const state = states.get(request);
    if (!state) return payload;
    const { context } = state;
    for (const plugin of context.plugins) plugin.headerFilter?.(context, reply);
    let body: unknown = payload;
    for (const plugin of context.plugins) if (plugin.bodyFilter) body = await plugin.bodyFilter(context, reply, body);
    return body;
  });

  app.addHook('onResponse', async (request, reply) => {
    const state = states.get(request);
    if (!state) return;
    const { context } = state;
    const line: AccessLogLine = {
      method: request.method,
      path: requestPath(request),
      route: context.route?.name ?? null,
      upstreamService: context.route?.service.name ?? null,
      target: state.target ?? null,
      status: reply.statusCode,
      latencyMs: Math.round(reply.elapsedTime * 10) / 10,
      consumer: context.authenticated?.consumer.username ?? null,
      correlationId: context.correlationId ?? null,
      clientIp: context.clientIp,
    };
    for (const plugin of context.plugins) plugin.log?.(context, line);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) {
      log.error({ err: error, method: request.method, path: requestPath(request) }, 'edge error');
      return sendError(reply, status, 'internal error');
    }
    return sendError(reply, status, error.message);
  });
  app.setNotFoundHandler((_request, reply) => sendError(reply, 404, 'no Route matched with those values'));

  // Start scripts poll this; Kong has no such route (its readiness is the status API), so clients must not rely on it.
  app.get(readinessPath, async (_request, reply) =>
    closing ? sendError(reply, 503, 'the edge is shutting down') : reply.send({ status: 'ready', service: 'edge' }),
  );

  // At error level, reply-from's own warning per failed upstream call stays out: the edge logs it with more context.
  app.all('*', { logLevel: 'error' }, async (request, reply) => {
    const state = states.get(request);
    if (!state?.match) return sendError(reply, 404, 'no Route matched with those values');
    const { context, match } = state;
    for (const plugin of match.route.plugins) {
      const exit = await plugin.access?.(context);
      if (exit) return sendExit(reply, exit);
    }

    const service = match.route.service;
    const query = (request.raw.url ?? '').slice(requestPath(request).length);
    // reply-from decodes the URL it is given: malformed percent-encoding (`%ZZ`) is the client's error, not a 500.
    if (!decodesAsUri(`${match.upstreamPath}${query}`)) return sendError(reply, 400, 'the request URL has malformed percent-encoding');
    // Another target can take the request only if its body can be sent again: read it first.
    if (service.retries > 0 && service.targets.length > 1 && !context.bufferedBody && isReadable(request.body)) {
      context.bufferedBody = await readAll(request.body);
    }
    const replayable = context.bufferedBody !== undefined || request.body === undefined || request.body === null;

    const proxyTo = (attempt: number): FastifyReply => {
      const target = service.nextTarget();
      if (!target) return sendError(reply, 503, `no target of ${service.name} can take requests`);
      state.target = target;
      const { bufferedBody } = context;
      return reply.from(`http://${target}${match.upstreamPath}${query}`, {
        timeout: service.readTimeoutMs,
        // Retries are the edge's own (another target, as Kong's balancer); reply-from would retry the same one.
        retryDelay: () => null,
        ...(bufferedBody ? { body: bufferedBody, contentType: request.headers['content-type'] ?? 'application/octet-stream' } : {}),
        rewriteRequestHeaders: (_request, headers) => ({
          ...headers,
          ...forwardedHeaders(request),
          ...context.upstreamHeaders,
          host: match.route.preserveHost && request.headers.host ? request.headers.host : target,
        }),
        onResponse: (_request, _reply, response) => {
          service.report(target, { kind: 'http', status: response.statusCode ?? 0 });
          reply.send(response.stream);
        },
        // The reply handed to onError is the handler's own, typed for any server: answer through ours.
        onError: (_sameReply, { error }) => {
          const cause = error.cause ?? error;
          const timedOut = isTimeout(cause) || upstreamFailureStatus(error) === 504;
          service.report(target, timedOut ? { kind: 'timeout' } : { kind: 'tcp' });
          if (isConnectFailure(cause) && replayable && attempt < service.retries) {
            log.warn({ reason: error.message, upstreamService: service.name, target, correlationId: context.correlationId }, 'upstream target unreachable: trying the next one');
            proxyTo(attempt + 1);
            return;
          }
          const status = upstreamFailureStatus(error);
          log.warn({ reason: error.message, upstreamService: service.name, target, correlationId: context.correlationId }, 'upstream failed');
          sendError(reply, status, status === 504 ? `${service.name} did not answer in time` : `${service.name} is unavailable`);
        },
      });
    };
    return proxyTo(0);
  });

  let url: string;
  try {
    url = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? edge.port });
  } catch (error) {
    await app.close();
    await agent.close();
    await closePlugins();
    throw error;
  }
  return {
    url,
    close: async () => {
      closing = true;
      await app.close();
      await agent.close();
      await closePlugins();
    },
  };
}

/** One keep-alive pool per upstream origin, each with the connect timeout of the services using it (the shortest). */
function upstreamAgent(upstreamServices: Iterable<UpstreamService>): Agent {
  const connectTimeouts = new Map<string, number>();
  for (const service of upstreamServices) {
    for (const target of service.targets) {
      const origin = `http://${target}`;
      connectTimeouts.set(origin, Math.min(connectTimeouts.get(origin) ?? Infinity, service.connectTimeoutMs));
    }
  }
  return new Agent({
    factory: (origin, poolOptions) => {
      const normalized = new URL(String(origin)).origin;
      return new Pool(normalized, { ...poolOptions, connect: { timeout: connectTimeouts.get(normalized) ?? 60_000 } });
    },
  });
}

function requestPath(request: FastifyRequest): string {
  const url = request.raw.url ?? '/';
  const queryStart = url.indexOf('?');
  return queryStart === -1 ? url : url.slice(0, queryStart);
}

/** `Payload Too Large` → `PAYLOAD_TOO_LARGE`: the edge's error codes are the HTTP reasons. */
function errorCode(status: number): string {
  return (STATUS_CODES[status] ?? 'Error').toUpperCase().replace(/[^A-Z]+/g, '_');
}

function sendError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).header('content-type', 'application/json; charset=utf-8').send({ error: { code: errorCode(status), message } });
}

function sendExit(reply: FastifyReply, exit: PluginExit): FastifyReply {
  reply.code(exit.status);
  for (const [name, value] of Object.entries(exit.headers ?? {})) reply.header(name, value);
  if (exit.body) return reply.send(exit.body);
  if (!exit.error) return reply.send();
  return reply.header('content-type', 'application/json; charset=utf-8').send({ error: exit.error });
}

/** As Kong without trusted proxies: the client's address is appended, scheme, host and port are the edge's own. */
function forwardedHeaders(request: FastifyRequest): Record<string, string> {
  const clientIp = request.socket.remoteAddress ?? '';
  const priorFor = request.headers['x-forwarded-for'];
  const host = request.headers.host ?? '';
  return {
    'x-forwarded-for': priorFor ? `${Array.isArray(priorFor) ? priorFor.join(', ') : priorFor}, ${clientIp}` : clientIp,
    'x-forwarded-proto': 'http',
    'x-forwarded-host': host.replace(/:\d+$/, ''),
    'x-forwarded-port': String(request.socket.localPort ?? ''),
    'x-real-ip': clientIp,
  };
}

function isReadable(value: unknown): value is Readable {
  return typeof value === 'object' && value !== null && 'pipe' in value && typeof value.pipe === 'function';
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Timeouts are 504 and an unresolvable name 503, as reply-from reports them; every other failure is 502. */
function upstreamFailureStatus(error: Error): number {
  const status = 'statusCode' in error ? error.statusCode : undefined;
  return status === 503 || status === 504 ? status : 502;
}

/** Malformed HTTP never reaches a route: answer it in the edge's JSON shape too. */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const body = JSON.stringify({ error: { code: errorCode(status), message: STATUS_CODES[status] } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

const edgeSettings = {
  LOG_LEVEL: baseConfigShape.LOG_LEVEL,
  SHUTDOWN_GRACE_MS: baseConfigShape.SHUTDOWN_GRACE_MS,
  SUPERVISOR_PID: baseConfigShape.SUPERVISOR_PID,
  EDGE_HOST: z.string().min(1).default('127.0.0.1'),
  EDGE_PORT: portSetting(edge.port),
  EDGE_UPSTREAM_HOST: z.string().min(1).default('127.0.0.1'),
  EDGE_CONFIG: z.string().min(1).default(defaultKongConfigPath),
  /** Prefix of the edge's Redis keys, so platforms sharing one Redis keep their counters apart. */
  EDGE_REDIS_KEY_PREFIX: z.string().default(''),
  /** JSON object of upstream overrides, e.g. `{"gateway":"127.0.0.1:4100"}` when ports differ from the registry's. */
  EDGE_UPSTREAMS: z
    .string()
    .default('{}')
    .transform((text, context): unknown => {
      try {
        return JSON.parse(text);
      } catch {
        context.addIssue({ code: 'custom', message: 'not JSON' });
        return z.NEVER;
      }
    })
    .pipe(z.record(z.string(), z.string())),
};

async function main(): Promise<void> {
  const settings = loadConfig(edgeSettings);
  const log = createLogger('edge', settings.LOG_LEVEL);
  const lifecycle = new Lifecycle(log);
  lifecycle.handleSignals(settings.SHUTDOWN_GRACE_MS);
  if (settings.SUPERVISOR_PID) lifecycle.exitWithParent(settings.SUPERVISOR_PID);
  profileOnSignal('edge', log);
  const running = await startEdge({
    configPath: settings.EDGE_CONFIG,
    host: settings.EDGE_HOST,
    port: settings.EDGE_PORT,
    upstreamHost: settings.EDGE_UPSTREAM_HOST,
    upstreamOverrides: settings.EDGE_UPSTREAMS,
    redisKeyPrefix: settings.EDGE_REDIS_KEY_PREFIX,
    log,
  });
  lifecycle.add('edge', running.close);
  log.info({ url: running.url, config: settings.EDGE_CONFIG }, 'edge listening');
}

if (require.main === module) {
  main().catch((error: unknown) => {
    // A start failure is for a person to read: the message names the variable, field or plugin.
    process.stderr.write(`edge: cannot start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}

function decodesAsUri(url: string): boolean {
  try {
    decodeURIComponent(url);
    return true;
  } catch {
    return false;
  }
}
