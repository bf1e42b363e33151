import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { CompiledRoute } from '../router';

/** What one request carries through the plugins, from the route match to the access-log line. */
export interface ProxyContext {
  readonly request: FastifyRequest;
  /** Null when no route matched: only global plugins' response phase runs then. */
  readonly route: CompiledRoute | null;
  readonly plugins: readonly PluginInstance[];
  /** Headers the plugins add to the upstream request, over the client's. */
  readonly upstreamHeaders: Record<string, string>;
  correlationId?: string;
  /** Set when a plugin had to read the body (a chunked upload under a size limit). */
  bufferedBody?: Buffer;
}

/** A plugin's answer in place of the upstream's, as Kong's `kong.response.exit`. */
export interface PluginExit {
  status: number;
  headers?: Record<string, string>;
  /** Sent as `{ "error": { code, message } }`; an exit without it has an empty body. */
  error?: { code: string; message: string };
}

/** The phases of Kong's plugin lifecycle the local edge runs. */
export interface PluginHandlers {
  /** Before proxying; an exit answers the request without reaching the upstream. */
  access?(context: ProxyContext): PluginExit | undefined | Promise<PluginExit | undefined>;
  /** On every response of a request the plugin applies to, the edge's own errors included. */
  headerFilter?(context: ProxyContext, reply: FastifyReply): void;
}

export interface PluginInstance extends PluginHandlers {
  readonly name: string;
  /** Kong's priority: higher runs first. */
  readonly priority: number;
}

export interface PluginDefinition {
  readonly name: string;
  /** Validates a kong.yml `config` block and binds it to the plugin's handlers. */
  readonly instantiate: (rawConfig: unknown) => z.ZodSafeParseResult<PluginInstance>;
}

/** Ties a plugin's config schema (exactly the Kong fields it implements) to its handlers. */
export function definePlugin<S extends z.ZodType>(
  name: string,
  priority: number,
  configSchema: S,
  create: (config: z.output<S>) => PluginHandlers,
): PluginDefinition {
  const schema = configSchema.transform((config): PluginInstance => ({ name, priority, ...create(config) }));
  return { name, instantiate: (rawConfig) => schema.safeParse(rawConfig ?? {}) };
}

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
