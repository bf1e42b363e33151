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

interface RouteEntry {
  route: CompiledRoute;
  prefix: string;
  methods: ReadonlySet<string> | undefined;
}

/**
 * Kong's router for plain (prefix) paths: a path matches by string prefix; a route that also
 * constrains methods wins over one that does not, then the longest prefix wins.
 */
export class Router {
  private readonly entries: RouteEntry[];

  constructor(
    config: KongConfig,
    services: ReadonlyMap<string, UpstreamService>,
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
            plugins: effectivePlugins(config.plugins, service.plugins, route.plugins),
          };
          return route.paths.map((prefix) => ({ route: compiled, prefix, methods: methodSet(route) }));
        }),
      )
      .flat()
      .sort((a, b) => Number(b.methods !== undefined) - Number(a.methods !== undefined) || b.prefix.length - a.prefix.length);
  }

  match(method: string, path: string): RouteMatch | undefined {
    for (const entry of this.entries) {
      if (!path.startsWith(entry.prefix) || (entry.methods && !entry.methods.has(method))) continue;
      const postfix = entry.route.stripPath ? path.slice(entry.prefix.length) : '';
      return { route: entry.route, upstreamPath: upstreamPath(entry.route.service.basePath, path, postfix, entry.route.stripPath) };
    }
    return undefined;
  }
}

function methodSet(route: KongRoute): ReadonlySet<string> | undefined {
  return route.methods ? new Set(route.methods) : undefined;
}

/** One instance per plugin name: a route's own beats its service's, which beats the global one. */
export function effectivePlugins(...levels: (readonly KongPlugin[])[]): PluginInstance[] {
  const byName = new Map<string, KongPlugin>();
  for (const level of levels) for (const plugin of level) byName.set(plugin.name, plugin);
  return [...byName.values()].filter((plugin) => plugin.enabled).sort((a, b) => b.priority - a.priority);
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
