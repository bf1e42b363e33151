import type { IncomingHttpHeaders } from 'node:http';
import type { KongConfig, KongPlugin, KongRoute } from './kong-config';
import type { PluginInstance } from './plugins/plugin';
import type { UpstreamService } from './upstreams';

export interface CompiledRoute {
  readonly name: string;
  readonly service: UpstreamService;
  readonly stripPath: boolean;
  readonly preserveHost: boolean;
  /** Enabled plugins after Kong's precedence (route over service over global), highest priority first. */
  readonly plugins: readonly PluginInstance[];
}

export interface RouteMatch {
  readonly route: CompiledRoute;
  /** The request path as the upstream receives it. */
  readonly upstreamPath: string;
}

type HeaderRule = { name: string; matches: (value: string) => boolean };

interface RouteEntry {
  route: CompiledRoute;
  prefix: string;
  methods: ReadonlySet<string> | undefined;
  headers: readonly HeaderRule[];
}

/** Binds a plugin entry of kong.yml to the running edge; the same entry always yields the same instance. */
export type PluginBinder = (plugin: KongPlugin) => PluginInstance;

/**
 * Kong's router for plain (prefix) paths: a path matches by string prefix and every header rule must
 * match; a route with more kinds of conditions (methods, headers) wins, then the one with more header
 * rules, then the longest prefix.
 */
export class Router {
  private readonly entries: RouteEntry[];

  constructor(
    config: KongConfig,
    services: ReadonlyMap<string, UpstreamService>,
    bind: PluginBinder,
  ) {
    this.entries = config.services
      .flatMap((service) =>
        service.routes.map((route) => {
          const upstream = services.get(service.name);
          if (!upstream) throw new Error(`no upstream for service ${service.name}`);
          const compiled: CompiledRoute = {
            name: route.name,
            service: upstream,
            stripPath: route.strip_path,
            preserveHost: route.preserve_host,
            plugins: effectivePlugins(bind, config.plugins, service.plugins, route.plugins),
          };
          const headers = headerRules(route);
          return route.paths.map((prefix) => ({ route: compiled, prefix, methods: methodSet(route), headers }));
        }),
      )
      .flat()
      .sort(
        (a, b) =>
          conditionKinds(b) - conditionKinds(a) || b.headers.length - a.headers.length || b.prefix.length - a.prefix.length,
      );
  }

  match(method: string, path: string, headers: IncomingHttpHeaders = {}): RouteMatch | undefined {
    for (const entry of this.entries) {
      if (!path.startsWith(entry.prefix) || (entry.methods && !entry.methods.has(method))) continue;
      if (!entry.headers.every((rule) => headerMatches(rule, headers[rule.name]))) continue;
      const postfix = entry.route.stripPath ? path.slice(entry.prefix.length) : '';
      return { route: entry.route, upstreamPath: upstreamPath(entry.route.service.basePath, path, postfix, entry.route.stripPath) };
    }
    return undefined;
  }
}

function methodSet(route: KongRoute): ReadonlySet<string> | undefined {
  return route.methods ? new Set(route.methods) : undefined;
}

function conditionKinds(entry: RouteEntry): number {
  return Number(entry.methods !== undefined) + Number(entry.headers.length > 0);
}

/** Plain values compare case-insensitively; `~*regex` is a case-insensitive regex, as in Kong 3. */
function headerRules(route: KongRoute): HeaderRule[] {
  return Object.entries(route.headers ?? {}).map(([name, values]) => {
    const tests = values.map((value) => {
      if (value.startsWith('~*')) {
        const pattern = new RegExp(value.slice(2), 'i');
        return (candidate: string) => pattern.test(candidate);
      }
      const expected = value.toLowerCase();
      return (candidate: string) => candidate.toLowerCase() === expected;
    });
    return { name: name.toLowerCase(), matches: (candidate: string) => tests.some((test) => test(candidate)) };
  });
}

function headerMatches(rule: HeaderRule, value: string | string[] | undefined): boolean {
  if (value === undefined) return false;
  return (Array.isArray(value) ? value : [value]).some((candidate) => rule.matches(candidate));
}

/** One instance per plugin name: a route's own beats its service's, which beats the global one. */
export function effectivePlugins(bind: PluginBinder, ...levels: (readonly KongPlugin[])[]): PluginInstance[] {
  const byName = new Map<string, KongPlugin>();
  for (const level of levels) for (const plugin of level) byName.set(plugin.name, plugin);
  return [...byName.values()]
    .filter((plugin) => plugin.enabled)
    .map(bind)
    .sort((a, b) => b.priority - a.priority);
}

/** Kong's join of the service path and the request path (path_handling v0, Kong 3's only one). */
export function upstreamPath(basePath: string, requestPath: string, postfix: string, stripPath: boolean): string {
  if (basePath.endsWith('/')) {
    if (!stripPath) return basePath + requestPath.slice(1);
    if (postfix === '') {
      if (basePath === '/') return '/';
      return requestPath.endsWith('/') ? basePath : basePath.slice(0, -1);
    }
    return postfix.startsWith('/') ? basePath.slice(0, -1) + postfix : basePath + postfix;
  }
  if (!stripPath) return requestPath === '/' ? basePath : basePath + requestPath;
  if (postfix === '') return requestPath.length > 1 && requestPath.endsWith('/') ? `${basePath}/` : basePath;
  return postfix.startsWith('/') ? basePath + postfix : `${basePath}/${postfix}`;
}
