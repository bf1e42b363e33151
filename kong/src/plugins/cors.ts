import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { definePlugin, headerValue, type PluginExit } from './plugin';

const httpMethods = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'] as const;

const literalOrigin = /^[A-Za-z0-9.:/-]+$/;

function isOriginEntry(entry: string): boolean {
  if (entry === '*' || literalOrigin.test(entry)) return true;
  try {
    new RegExp(entry);
    return true;
  } catch {
    return false;
  }
}

const configSchema = z.strictObject({
  origins: z.array(z.string().min(1).refine(isOriginEntry, { message: 'not "*", an origin, or a valid regex' })).optional(),
  headers: z.array(z.string().min(1)).optional(),
  exposed_headers: z.array(z.string().min(1)).optional(),
  methods: z.array(z.enum(httpMethods)).default([...httpMethods]),
  max_age: z.number().nonnegative().optional(),
  credentials: z.boolean().default(false),
  preflight_continue: z.boolean().default(false),
});

type CorsConfig = z.output<typeof configSchema>;

/** An allowed origin: a literal compared after normalisation, or a regex (Kong anchors it at the end). */
type OriginRule = { literal: string } | { pattern: RegExp; byHost: boolean };

function compileOrigin(entry: string): OriginRule {
  if (literalOrigin.test(entry)) return { literal: normalizeOrigin(entry).origin };
  const anchoredEnd = entry.endsWith('$') ? entry : `${entry}$`;
  const body = anchoredEnd.startsWith('^') ? anchoredEnd.slice(1) : anchoredEnd;
  // Entries without a port or scheme separator are matched against the host alone, as Kong does.
  return { pattern: new RegExp(`^(?:${body})`), byHost: !entry.includes(':') };
}

/** `scheme://host[:port]` with the default port dropped, so `http://a:80` equals `http://a`. */
function normalizeOrigin(value: string): { origin: string; host: string } {
  try {
    const url = new URL(value);
    return { origin: `${url.protocol}//${url.host}`, host: url.hostname };
  } catch {
    return { origin: value, host: value };
  }
}

function isPreflight(request: FastifyRequest): boolean {
  return request.method === 'OPTIONS' && Boolean(request.headers.origin) && Boolean(request.headers['access-control-request-method']);
}

function appendVary(reply: FastifyReply): void {
  const current = reply.getHeader('vary');
  if (typeof current === 'string' && current.length > 0) {
    if (!/(^|,)\s*origin\s*(,|$)/i.test(current)) reply.header('vary', `${current}, Origin`);
  } else {
    reply.header('vary', 'Origin');
  }
}

/** Kong's cors: answers preflights itself (unless told to pass them on) and decorates responses. */
export const cors = definePlugin('cors', 2000, configSchema, (config: CorsConfig) => {
  const origins = config.origins ?? [];
  const allowAll = origins.length === 0 || origins.includes('*');
  const rules = allowAll ? [] : origins.map(compileOrigin);

  /** Sets Access-Control-Allow-Origin; true when it allows every origin. */
  const setAllowOrigin = (headers: Map<string, string>, requestOrigin: string | undefined): boolean => {
    if (allowAll) {
      headers.set('access-control-allow-origin', '*');
      return true;
    }
    headers.set('vary', 'Origin');
    if (!requestOrigin) return false;
    const normalized = normalizeOrigin(requestOrigin);
    const allowed = rules.some((rule) =>
      'literal' in rule ? rule.literal === normalized.origin : rule.pattern.test(rule.byHost ? normalized.host : normalized.origin),
    );
    if (allowed) headers.set('access-control-allow-origin', normalized.origin);
    return false;
  };

  const setCredentials = (headers: Map<string, string>, allowsAll: boolean, requestOrigin: string | undefined): void => {
    if (!config.credentials) return;
    if (!allowsAll) {
      headers.set('access-control-allow-credentials', 'true');
    } else if (requestOrigin) {
      // `*` cannot go with credentials: the browser needs the caller's own origin back.
      headers.set('vary', 'Origin');
      headers.set('access-control-allow-origin', requestOrigin);
      headers.set('access-control-allow-credentials', 'true');
    }
  };

  return {
    access(context): PluginExit | undefined {
      const { request } = context;
      if (!isPreflight(request) || config.preflight_continue) return undefined;
      const origin = headerValue(request.headers.origin);
      const headers = new Map<string, string>();
      setCredentials(headers, setAllowOrigin(headers, origin), origin);
      const requestedHeaders = headerValue(request.headers['access-control-request-headers']);
      if (config.headers && config.headers.length > 0) headers.set('access-control-allow-headers', config.headers.join(','));
      else if (requestedHeaders) headers.set('access-control-allow-headers', requestedHeaders);
      headers.set('access-control-allow-methods', config.methods.join(','));
      if (config.max_age !== undefined) headers.set('access-control-max-age', String(config.max_age));
      return { status: 200, headers: Object.fromEntries(headers) };
    },
    headerFilter(context, reply) {
      const { request } = context;
      const origin = headerValue(request.headers.origin);
      if (isPreflight(request) || !origin) return;
      const headers = new Map<string, string>();
      setCredentials(headers, setAllowOrigin(headers, origin), origin);
      if (config.exposed_headers && config.exposed_headers.length > 0) {
        headers.set('access-control-expose-headers', config.exposed_headers.join(','));
      }
      // An upstream's own CORS answer is replaced, as Kong's set_header does.
      reply.removeHeader('access-control-allow-origin');
      for (const [name, value] of headers) {
        if (name === 'vary') appendVary(reply);
        else reply.header(name, value);
      }
    },
  };
});
