import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { pluginDefinitions } from './plugins';
import type { PluginInstance } from './plugins/plugin';

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
  .transform((entry, context): PluginInstance & { enabled: boolean } => {
    const definition = pluginDefinitions.get(entry.name);
    if (!definition) {
      context.addIssue({
        code: 'custom',
        path: ['name'],
        message: `unknown plugin "${entry.name}" (the local edge implements ${[...pluginDefinitions.keys()].join(', ')})`,
      });
      return z.NEVER;
    }
    const instance = definition.instantiate(entry.config);
    if (!instance.success) {
      for (const issue of instance.error.issues) context.addIssue({ ...issue, path: ['config', ...issue.path] });
      return z.NEVER;
    }
    return { ...instance.data, enabled: entry.enabled };
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
  strip_path: z.boolean().default(true),
  preserve_host: z.boolean().default(false),
  plugins,
  tags,
});

const upstreamUrl = z.url({ protocol: /^http$/, error: 'an http:// URL (the local edge does not speak https to upstreams)' }).transform((url) => {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: parsed.port ? Number(parsed.port) : 80, path: parsed.pathname };
});

const service = z.strictObject({
  name: entityName,
  url: upstreamUrl,
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

const upstream = z.strictObject({
  name: entityName,
  algorithm: z.literal('round-robin').default('round-robin'),
  targets: z.array(target).default([]),
  tags,
});

const kongConfig = z
  .strictObject({
    _format_version: z.literal('3.0'),
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
