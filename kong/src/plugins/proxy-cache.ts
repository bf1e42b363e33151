import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { definePlugin, headerValue, type PluginExit, type ProxyContext } from './plugin';

const configSchema = z.strictObject({
  response_code: z.array(z.number().int().min(100).max(900)).default([200, 301, 404]),
  request_method: z.array(z.enum(['GET', 'HEAD', 'POST', 'PATCH', 'PUT'])).default(['GET', 'HEAD']),
  content_type: z.array(z.string().min(1)).default(['text/plain', 'application/json']),
  cache_ttl: z.number().int().positive().default(300),
  strategy: z.literal('memory', { error: 'the local edge implements the memory strategy only' }).default('memory'),
  cache_control: z.boolean().default(false),
  ignore_uri_case: z.boolean().default(false),
  storage_ttl: z.number().int().positive().optional(),
  memory: z.strictObject({ dictionary_name: z.string().min(1).default('kong_db_cache') }).prefault({}),
  vary_query_params: z.array(z.string().min(1)).optional(),
  vary_headers: z.array(z.string().min(1)).optional(),
  response_headers: z
    .strictObject({ age: z.boolean().default(true), 'X-Cache-Status': z.boolean().default(true), 'X-Cache-Key': z.boolean().default(true) })
    .prefault({}),
});

type CacheStatus = 'Hit' | 'Miss' | 'Refresh' | 'Bypass';

interface Entry {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  storedAtMs: number;
  ttlSeconds: number;
  /** Kept (stale) until then, for Kong's storage_ttl. */
  removeAtMs: number;
}

interface RequestCache {
  status: CacheStatus;
  key?: string;
  ttlSeconds?: number;
}

// One memory dictionary per name and edge, as Kong's shared dicts: instances naming the same one share it.
const dictionaries = new WeakMap<object, Map<string, Map<string, Entry>>>();
const maxEntryBytes = 1_048_576;
const maxDictionaryBytes = 64 * 1_048_576;

/** Headers that describe one exchange, not the cached resource, or that other plugins set per request. */
const unstoredHeader = /^(connection|keep-alive|transfer-encoding|content-length|date|age|x-cache-(status|key)|x-correlation-id|access-control-.*|ratelimit-.*|x-ratelimit-.*|retry-after|set-cookie)$/;

function parseCacheControl(header: string | undefined): Map<string, string | true> {
  const directives = new Map<string, string | true>();
  for (const part of (header ?? '').split(',')) {
    const [name, value] = part.trim().split('=');
    if (name) directives.set(name.toLowerCase(), value ? value.replace(/^"|"$/g, '') : true);
  }
  return directives;
}

function seconds(value: string | true | undefined): number | undefined {
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

function isReadable(value: unknown): value is Readable {
  return typeof value === 'object' && value !== null && 'pipe' in value && typeof value.pipe === 'function';
}

async function toBuffer(payload: unknown): Promise<Buffer | undefined> {
  if (Buffer.isBuffer(payload)) return payload;
  if (typeof payload === 'string') return Buffer.from(payload);
  if (!isReadable(payload)) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of payload) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

/**
 * Kong's proxy-cache with the memory strategy. The key is the consumer, route, method, path, query
 * parameters and vary headers (never the body, so request_method must not list POST here). With
 * `cache_control`, a request with `Authorization` or `no-cache`/`no-store` bypasses the cache and a
 * response's `no-store`/`no-cache`/`private` is never stored; `s-maxage`/`max-age` set its TTL.
 */
export const proxyCache = definePlugin('proxy-cache', 100, configSchema, (config, environment) => {
  let byName = dictionaries.get(environment);
  if (!byName) {
    byName = new Map();
    dictionaries.set(environment, byName);
  }
  let dictionary = byName.get(config.memory.dictionary_name);
  if (!dictionary) {
    dictionary = new Map();
    byName.set(config.memory.dictionary_name, dictionary);
  }
  const store = dictionary;
  let storedBytes = 0;
  const methods = new Set<string>(config.request_method);
  const codes = new Set(config.response_code);
  const contentTypes = new Set(config.content_type.map((type) => type.toLowerCase()));
  const requests = new WeakMap<ProxyContext, RequestCache>();

  const cacheKey = (context: ProxyContext): string => {
    const { request } = context;
    const url = new URL(request.raw.url ?? '/', 'http://edge');
    const path = config.ignore_uri_case ? url.pathname.toLowerCase() : url.pathname;
    const params = [...url.searchParams.entries()]
      .filter(([name]) => !config.vary_query_params || config.vary_query_params.includes(name))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const headers = (config.vary_headers ?? []).map((name) => [name.toLowerCase(), headerValue(request.headers[name.toLowerCase()]) ?? '']);
    return createHash('sha256')
      .update(JSON.stringify([context.authenticated?.consumer.username ?? '', context.route?.name ?? '', request.method, path, params, headers]))
      .digest('hex');
  };

  const evict = () => {
    for (const [key, entry] of store) {
      if (storedBytes <= maxDictionaryBytes) break;
      store.delete(key);
      storedBytes -= entry.body.length;
    }
  };

  const markResponse = (reply: FastifyReply, cache: RequestCache) => {
    if (config.response_headers['X-Cache-Status']) reply.header('x-cache-status', cache.status);
    if (config.response_headers['X-Cache-Key'] && cache.key) reply.header('x-cache-key', cache.key);
  };

  return {
    access(context): PluginExit | undefined {
      const { request } = context;
      const requestDirectives = parseCacheControl(headerValue(request.headers['cache-control']));
      const bypass =
        !methods.has(request.method) ||
        (config.cache_control && (requestDirectives.has('no-store') || requestDirectives.has('no-cache') || Boolean(request.headers.authorization)));
      if (bypass) {
        requests.set(context, { status: 'Bypass' });
        return undefined;
      }
      const key = cacheKey(context);
      const now = environment.now();
      const entry = store.get(key);
      if (!entry || entry.removeAtMs <= now) {
        if (entry) {
          store.delete(key);
          storedBytes -= entry.body.length;
        }
        requests.set(context, { status: 'Miss', key });
        return undefined;
      }
      const ageSeconds = Math.floor((now - entry.storedAtMs) / 1000);
      const requestMaxAge = config.cache_control ? seconds(requestDirectives.get('max-age')) : undefined;
      if (now - entry.storedAtMs >= entry.ttlSeconds * 1000 || (requestMaxAge !== undefined && ageSeconds > requestMaxAge)) {
        requests.set(context, { status: 'Refresh', key });
        return undefined;
      }
      requests.set(context, { status: 'Hit', key });
      const headers: Record<string, string> = { ...entry.headers };
      if (config.response_headers.age) headers.age = String(ageSeconds);
      return { status: entry.status, headers, body: entry.body };
    },

    headerFilter(context, reply) {
      const cache = requests.get(context);
      if (!cache) return;
      if (cache.status === 'Miss' || cache.status === 'Refresh') {
        const contentType = String(reply.getHeader('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
        let ttlSeconds: number | undefined = config.cache_ttl;
        if (!codes.has(reply.statusCode) || !contentTypes.has(contentType)) ttlSeconds = undefined;
        else if (config.cache_control) {
          const directives = parseCacheControl(String(reply.getHeader('cache-control') ?? ''));
          if (directives.has('no-store') || directives.has('no-cache') || directives.has('private')) ttlSeconds = undefined;
          else ttlSeconds = seconds(directives.get('s-maxage')) ?? seconds(directives.get('max-age')) ?? config.cache_ttl;
          if (ttlSeconds === 0) ttlSeconds = undefined;
        }
        if (ttlSeconds === undefined) cache.status = 'Bypass';
        else cache.ttlSeconds = ttlSeconds;
      }
      markResponse(reply, cache);
    },

    async bodyFilter(context, reply, payload) {
      const cache = requests.get(context);
      if (!cache?.key || cache.ttlSeconds === undefined || (cache.status !== 'Miss' && cache.status !== 'Refresh')) return payload;
      const body = await toBuffer(payload);
      if (!body) return payload;
      if (body.length <= maxEntryBytes) {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(reply.getHeaders())) {
          if (value === undefined || unstoredHeader.test(name)) continue;
          headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
        }
        const now = environment.now();
        const previous = store.get(cache.key);
        if (previous) storedBytes -= previous.body.length;
        store.delete(cache.key);
        store.set(cache.key, {
          status: reply.statusCode,
          headers,
          body,
          storedAtMs: now,
          ttlSeconds: cache.ttlSeconds,
          removeAtMs: now + Math.max(cache.ttlSeconds, config.storage_ttl ?? 0) * 1000,
        });
        storedBytes += body.length;
        evict();
      }
      return body;
    },
  };
});
