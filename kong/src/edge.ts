import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import path from 'node:path';
import replyFrom from '@fastify/reply-from';
import { baseConfigShape, createLogger, edge, gateway, Lifecycle, loadConfig, portSetting, services, type Logger } from '@x/kit';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import { Agent, Pool } from 'undici';
import { z } from 'zod';
import { loadKongConfig } from './kong-config';
import { effectivePlugins, Router, type RouteMatch } from './router';
import type { PluginExit, ProxyContext } from './plugins/plugin';
import { buildUpstreamServices, type UpstreamService } from './upstreams';

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
  /** Where access-log lines go; by default the logger at info level. */
  accessLog?: (line: AccessLogLine) => void;
}

export interface AccessLogLine {
  method: string;
  path: string;
  route: string | null;
  /** Named apart from the logger's own `service` (edge). */
  upstreamService: string | null;
  target: string | null;
  status: number;
  latencyMs: number;
  correlationId: string | null;
  clientIp: string;
}

export interface RunningEdge {
  url: string;
  /** Stops taking connections, lets requests in flight finish, then closes upstream connections. */
  close(): Promise<void>;
}

interface RequestState {
  context: ProxyContext;
  match: RouteMatch | undefined;
  /** Read on arrival: the socket is gone by the time the access line is written. */
  clientIp: string;
  target?: string;
}

// Compose service names: kong.yml addresses every process of the platform by one of these.
const platformHosts: ReadonlySet<string> = new Set([...services.map((service) => service.name), gateway.name]);

/** The local stand-in for Kong: the routes and plugins of kong.yml, proxied over undici with keep-alive. */
export async function startEdge(options: EdgeOptions = {}): Promise<RunningEdge> {
  const log = options.log ?? createLogger('edge');
  const config = await loadKongConfig(options.configPath ?? defaultKongConfigPath);
  const upstreamServices = buildUpstreamServices(config, {
    platformHosts,
    platformAddress: options.upstreamHost ?? '127.0.0.1',
    overrides: options.upstreamOverrides,
  });
  const router = new Router(config, upstreamServices);
  const globalPlugins = effectivePlugins(config.plugins);
  const writeAccessLog = options.accessLog ?? ((line: AccessLogLine) => log.info(line, 'access'));

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
    const match = closing ? undefined : router.match(request.method, requestPath(request));
    states.set(request, {
      context: { request, route: match?.route ?? null, plugins: match?.route.plugins ?? globalPlugins, upstreamHeaders: {} },
      match,
      clientIp: request.socket.remoteAddress ?? '',
    });
    if (closing) return sendError(reply, 503, 'the edge is shutting down');
    return undefined;
  });

  app.addHook('onSend', async (request, reply, payload) => {
    // Answers finishing during shutdown close their connection, so the server can close without waiting on keep-alive.
    if (closing) reply.header('connection', 'close');
    const state = states.get(request);
    if (state) for (const plugin of state.context.plugins) plugin.headerFilter?.(state.context, reply);
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    const state = states.get(request);
    if (!state) return;
    writeAccessLog({
      method: request.method,
      path: requestPath(request),
      route: state.context.route?.name ?? null,
      upstreamService: state.context.route?.service.name ?? null,
      target: state.target ?? null,
      status: reply.statusCode,
      latencyMs: Math.round(reply.elapsedTime * 10) / 10,
      correlationId: state.context.correlationId ?? null,
      clientIp: state.clientIp,
    });
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
    const target = service.nextTarget();
    if (!target) return sendError(reply, 503, `no target of ${service.name} can take requests`);
    state.target = target;
    const query = (request.raw.url ?? '').slice(requestPath(request).length);
    const { bufferedBody } = context;
    return reply.from(`http://${target}${match.upstreamPath}${query}`, {
      timeout: service.readTimeoutMs,
      // Kong's retries are not implemented; reply-from would otherwise retry GETs answered with 503.
      retryDelay: () => null,
      ...(bufferedBody ? { body: bufferedBody, contentType: request.headers['content-type'] ?? 'application/octet-stream' } : {}),
      rewriteRequestHeaders: (_request, headers) => ({
        ...headers,
        ...forwardedHeaders(request),
        ...context.upstreamHeaders,
        host: match.route.preserveHost && request.headers.host ? request.headers.host : target,
      }),
      // The reply handed to onError is the handler's own, typed for any server: answer through ours.
      onError: (_sameReply, { error }) => {
        const status = upstreamFailureStatus(error);
        log.warn({ reason: error.message, upstreamService: service.name, target, correlationId: context.correlationId }, 'upstream failed');
        sendError(reply, status, status === 504 ? `${service.name} did not answer in time` : `${service.name} is unavailable`);
      },
    });
  });

  let url: string;
  try {
    url = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? edge.port });
  } catch (error) {
    await app.close();
    await agent.close();
    throw error;
  }
  return {
    url,
    close: async () => {
      closing = true;
      await app.close();
      await agent.close();
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
  EDGE_HOST: z.string().min(1).default('127.0.0.1'),
  EDGE_PORT: portSetting(edge.port),
  EDGE_UPSTREAM_HOST: z.string().min(1).default('127.0.0.1'),
  EDGE_CONFIG: z.string().min(1).default(defaultKongConfigPath),
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
  const running = await startEdge({
    configPath: settings.EDGE_CONFIG,
    host: settings.EDGE_HOST,
    port: settings.EDGE_PORT,
    upstreamHost: settings.EDGE_UPSTREAM_HOST,
    upstreamOverrides: settings.EDGE_UPSTREAMS,
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
