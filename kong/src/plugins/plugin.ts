import type { Logger } from '@x/kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { JwtCredential, KongConsumer } from '../consumers';
import type { CompiledRoute } from '../router';

/** The Kong consumer a request was authenticated as (Kong's `kong.client.get_consumer()`). */
export interface AuthenticatedConsumer {
  readonly consumer: KongConsumer;
  /** The credential's identifier (a jwt_secret's `key`). */
  readonly credential: string;
}

/** What one request carries through the plugins, from the route match to the access-log line. */
export interface ProxyContext {
  readonly request: FastifyRequest;
  /** Null when no route matched: only global plugins' response phases run then. */
  readonly route: CompiledRoute | null;
  readonly plugins: readonly PluginInstance[];
  /** Headers the plugins add to the upstream request, over the client's. */
  readonly upstreamHeaders: Record<string, string>;
  /** The client's address, read on arrival (the socket may be gone by the log phase). */
  readonly clientIp: string;
  correlationId?: string;
  /** Set when a plugin had to read the body (a chunked upload under a size limit). */
  bufferedBody?: Buffer;
  /** Set by an authentication plugin. */
  authenticated?: AuthenticatedConsumer;
}

/** A plugin's answer in place of the upstream's, as Kong's `kong.response.exit`. */
export interface PluginExit {
  status: number;
  headers?: Record<string, string>;
  /** Sent as `{ "error": { code, message } }`. */
  error?: { code: string; message: string };
  /** A raw body (a cached response); an exit with neither body nor error has an empty body. */
  body?: Buffer;
}

/** One access-log line: the local edge's JSON shape (real Kong's file-log writes its own serializer's). */
export interface AccessLogLine {
  method: string;
  path: string;
  route: string | null;
  /** Named apart from the logger's own `service` (edge). */
  upstreamService: string | null;
  target: string | null;
  status: number;
  latencyMs: number;
  /** The authenticated Kong consumer's username, null when anonymous. */
  consumer: string | null;
  correlationId: string | null;
  clientIp: string;
}

/** The phases of Kong's plugin lifecycle the local edge runs. */
export interface PluginHandlers {
  /** Before proxying; an exit answers the request without reaching the upstream. */
  access?(context: ProxyContext): PluginExit | undefined | Promise<PluginExit | undefined>;
  /** On every response of a request the plugin applies to, the edge's own answers included. */
  headerFilter?(context: ProxyContext, reply: FastifyReply): void;
  /** After the header filters; may read the body and return what is sent instead. */
  bodyFilter?(context: ProxyContext, reply: FastifyReply, payload: unknown): Promise<unknown>;
  /** After the response has been sent. */
  log?(context: ProxyContext, line: AccessLogLine): void;
}

export interface PluginInstance extends PluginHandlers {
  readonly name: string;
  /** Kong's priority: higher runs first. */
  readonly priority: number;
}

/** What plugins get from the edge that runs them: clock, logs, names of hosts, teardown. */
export interface PluginEnvironment {
  readonly log: Logger;
  /** Milliseconds since the epoch; injectable so windows and expiries can be tested without waiting. */
  now(): number;
  /** `host:port` for a host and port of kong.yml (compose names resolve to this machine). */
  resolveHost(host: string, port: number): string;
  /** Consumers of kong.yml by username and by id. */
  consumer(nameOrId: string): KongConsumer | undefined;
  /** jwt_secrets of every consumer, by key. */
  jwtSecret(key: string): { consumer: KongConsumer; secret: JwtCredential } | undefined;
  /** Redis keys of this edge start with it (tests isolate their counters with it). */
  readonly redisKeyPrefix: string;
  /** Where file-log lines go instead of the configured path (tests). */
  readonly accessLogSink?: (line: AccessLogLine) => void;
  /** Runs when the edge closes (timers, connections). */
  onClose(close: () => Promise<void> | void): void;
}

/** A plugin entry of kong.yml whose config has been validated, not yet bound to an edge. */
export interface ValidatedPlugin {
  readonly name: string;
  readonly priority: number;
  readonly enabled: boolean;
  readonly create: (environment: PluginEnvironment) => PluginInstance;
}

export interface PluginDefinition {
  readonly name: string;
  /** Validates a kong.yml `config` block. */
  readonly validate: (rawConfig: unknown) => z.ZodSafeParseResult<(environment: PluginEnvironment) => PluginInstance>;
  readonly priority: number;
}

/** Ties a plugin's config schema (exactly the Kong fields it implements) to its handlers. */
export function definePlugin<S extends z.ZodType>(
  name: string,
  priority: number,
  configSchema: S,
  create: (config: z.output<S>, environment: PluginEnvironment) => PluginHandlers,
): PluginDefinition {
  const schema = configSchema.transform(
    (config) =>
      (environment: PluginEnvironment): PluginInstance => ({ name, priority, ...create(config, environment) }),
  );
  return { name, priority, validate: (rawConfig) => schema.safeParse(rawConfig ?? {}) };
}

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Kong's `{vault://env/name}` reference: the environment variable NAME (dashes become underscores). */
export function resolveVaultReference(value: string): string | undefined {
  const match = /^\{vault:\/\/env\/([A-Za-z0-9_-]+)\}$/.exec(value);
  if (!match?.[1]) return value;
  return process.env[match[1].toUpperCase().replace(/-/g, '_')];
}
