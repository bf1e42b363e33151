import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { pluginDefinitions } from './plugins';
import { consumerSchema } from './consumers';
import type { ValidatedPlugin } from './plugins/plugin';

/**
 * The part of Kong's 3.x declarative format (DB-less kong.yml) the local edge implements. Every object
 * is strict: a field or plugin the edge does not implement stops it, so kong.yml and the edge cannot
 * drift apart silently. Defaults are Kong's.
 */
export class KongConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file} uses what the local edge does not implement or is invalid:\n  ${problems.join('\n  ')}`);
    this.name = 'KongConfigError';
  }
}

const entityName = z.string().regex(/^[A-Za-z0-9.\-_~]+$/, 'letters, digits and . - _ ~ only');
const tags = z.array(z.string()).optional();
const timeoutMs = z.number().int().min(1).max(2_147_483_646);

const pluginEntry = z
  .strictObject({ name: z.string(), enabled: z.boolean().default(true), config: z.unknown().optional(), tags })
  .transform((entry, context): ValidatedPlugin => {
    const definition = pluginDefinitions.get(entry.name);
    if (!definition) {
      context.addIssue({
        code: 'custom',
        path: ['name'],
        message: `unknown plugin "${entry.name}" (the local edge implements ${[...pluginDefinitions.keys()].join(', ')})`,
      });
      return z.NEVER;
    }
    const validated = definition.validate(entry.config);
    if (!validated.success) {
      for (const issue of validated.error.issues) context.addIssue({ ...issue, path: ['config', ...issue.path] });
      return z.NEVER;
    }
    return { name: entry.name, priority: definition.priority, enabled: entry.enabled, create: validated.data };
  });

const plugins = z.array(pluginEntry).default([]);

const pathPrefix = z
  .string()
  .refine((path) => !path.startsWith('~'), 'regex paths (~) are not implemented by the local edge')
  .refine((path) => path.startsWith('/'), 'a path starts with /');

const route = z.strictObject({
  name: entityName,
  paths: z.array(pathPrefix).min(1),
  methods: z.array(z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'])).optional(),
  /** Header name → values; a value starting with `~*` is a case-insensitive regex (Kong 3). */
  headers: z
    .record(
      z.string().regex(/^[A-Za-z0-9-]+$/).refine((name) => name.toLowerCase() !== 'host', 'match Host with `hosts`, which the local edge does not implement'),
      z.array(z.string().min(1).refine((value) => !value.startsWith('~*') || isRegex(value.slice(2)), 'not a valid regex')).min(1),
    )
    .optional(),
  strip_path: z.boolean().default(true),
  preserve_host: z.boolean().default(false),
  plugins,
  tags,
});

function isRegex(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

const upstreamUrl = z.url({ protocol: /^http$/, error: 'an http:// URL (the local edge does not speak https to upstreams)' }).transform((url) => {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: parsed.port ? Number(parsed.port) : 80, path: parsed.pathname };
});

const service = z.strictObject({
  name: entityName,
  url: upstreamUrl,
  /** Kong retries a target it could not connect to on the next one, this many times. */
  retries: z.number().int().min(0).max(32_767).default(5),
  connect_timeout: timeoutMs.default(60_000),
  read_timeout: timeoutMs.default(60_000),
  routes: z.array(route).default([]),
  plugins,
  tags,
});

const target = z.strictObject({
  target: z.string().regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'host or host:port'),
  weight: z.number().int().min(0).max(65_535).default(100),
  tags,
});

const httpStatus = z.number().int().min(100).max(999);
const counter = z.number().int().min(0).max(255);
const interval = z.number().min(0).max(65_535);

// Kong's defaults for every field, so an upstream without healthchecks behaves as in Kong (no checks).
const activeHealthchecks = z
  .strictObject({
    type: z.literal('http').default('http'),
    http_path: z.string().startsWith('/').default('/'),
    timeout: z.number().positive().default(1),
    concurrency: z.number().int().min(1).default(10),
    healthy: z
      .strictObject({
        interval: interval.default(0),
        successes: counter.default(0),
        http_statuses: z.array(httpStatus).default([200, 302]),
      })
      .prefault({}),
    unhealthy: z
      .strictObject({
        interval: interval.default(0),
        http_failures: counter.default(0),
        tcp_failures: counter.default(0),
        timeouts: counter.default(0),
        http_statuses: z.array(httpStatus).default([429, 404, 500, 501, 502, 503, 504, 505]),
      })
      .prefault({}),
  })
  .prefault({});

const passiveHealthchecks = z
  .strictObject({
    type: z.literal('http').default('http'),
    healthy: z
      .strictObject({
        successes: counter.default(0),
        http_statuses: z
          .array(httpStatus)
          .default([200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308]),
      })
      .prefault({}),
    unhealthy: z
      .strictObject({
        http_failures: counter.default(0),
        tcp_failures: counter.default(0),
        timeouts: counter.default(0),
        http_statuses: z.array(httpStatus).default([429, 500, 503]),
      })
      .prefault({}),
  })
  .prefault({});

const healthchecks = z
  .strictObject({
    active: activeHealthchecks,
    passive: passiveHealthchecks,
    threshold: z.literal(0, { error: 'threshold is not implemented by the local edge (only 0)' }).default(0),
  })
  .prefault({});

export type KongHealthchecks = z.output<typeof healthchecks>;

const upstream = z.strictObject({
  name: entityName,
  algorithm: z.literal('round-robin').default('round-robin'),
  healthchecks,
  targets: z.array(target).default([]),
  tags,
});

const kongConfig = z
  .strictObject({
    _format_version: z.literal('3.0'),
    consumers: z.array(consumerSchema).default([]),
    upstreams: z.array(upstream).default([]),
    services: z.array(service).default([]),
    plugins,
  })
  .superRefine((config, context) => {
    const duplicates = (names: string[]) => names.filter((name, index) => names.indexOf(name) !== index);
    for (const name of duplicates(config.services.map((s) => s.name))) context.addIssue({ code: 'custom', path: ['services'], message: `service "${name}" is defined twice` });
    for (const name of duplicates(config.upstreams.map((u) => u.name))) context.addIssue({ code: 'custom', path: ['upstreams'], message: `upstream "${name}" is defined twice` });
    const routeNames = config.services.flatMap((s) => s.routes.map((r) => r.name));
    for (const name of duplicates(routeNames)) context.addIssue({ code: 'custom', path: ['services'], message: `route "${name}" is defined twice` });
    for (const name of duplicates(config.consumers.map((c) => c.username))) context.addIssue({ code: 'custom', path: ['consumers'], message: `consumer "${name}" is defined twice` });
    const jwtKeys = config.consumers.flatMap((c) => c.jwtSecrets.map((secret) => secret.key));
    for (const key of duplicates(jwtKeys)) context.addIssue({ code: 'custom', path: ['consumers'], message: `jwt_secrets key "${key}" is used twice` });
    // Kong refuses the same plugin twice on one entity.
    const pluginLists: { path: (string | number)[]; names: string[] }[] = [
      { path: ['plugins'], names: config.plugins.map((p) => p.name) },
      ...config.services.flatMap((s, si) => [
        { path: ['services', si, 'plugins'], names: s.plugins.map((p) => p.name) },
        ...s.routes.map((r, ri) => ({ path: ['services', si, 'routes', ri, 'plugins'], names: r.plugins.map((p) => p.name) })),
      ]),
    ];
    for (const list of pluginLists) {
      for (const name of duplicates(list.names)) context.addIssue({ code: 'custom', path: list.path, message: `plugin "${name}" is configured twice here` });
    }
  });

export type KongConfig = z.output<typeof kongConfig>;
export type KongRoute = KongConfig['services'][number]['routes'][number];
export type KongPlugin = KongConfig['plugins'][number];

/** Reads and validates a kong.yml; every problem is named with its place in the file. */
export async function loadKongConfig(file: string): Promise<KongConfig> {
  let document: unknown;
  try {
    document = parseYaml(await readFile(file, 'utf8'));
  } catch (error) {
    throw new KongConfigError(file, [error instanceof Error ? error.message : String(error)]);
  }
  return parseKongConfig(document, file);
}

/** Validates a parsed kong.yml document; `file` names it in errors. */
export function parseKongConfig(document: unknown, file = 'kong.yml'): KongConfig {
  const result = kongConfig.safeParse(document);
  if (!result.success) throw new KongConfigError(file, result.error.issues.map(describeIssue));
  return result.data;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = formatPath(issue.path) || '(top level)';
  if (issue.code === 'unrecognized_keys') {
    return `${where}: ${issue.keys.map((key) => `unknown field "${key}"`).join(', ')} (not implemented by the local edge)`;
  }
  return `${where}: ${issue.message}`;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)), '');
}
