import type { Logger } from '@x/kit';
import { HealthChecker, type HealthOutcome } from './health';
import type { KongConfig } from './kong-config';

/** Where one Kong service sends its requests. */
export interface UpstreamService {
  readonly name: string;
  /** The service URL's path, which Kong joins with the request path. */
  readonly basePath: string;
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  /** How many other targets are tried when one cannot be connected to. */
  readonly retries: number;
  /** Every `host:port` the service may send to, for per-origin connection settings. */
  readonly targets: readonly string[];
  /** The next healthy target (`host:port`), or undefined when none can take requests. */
  nextTarget(): string | undefined;
  /** What a proxied request found at a target (Kong's passive health check). */
  report(address: string, outcome: HealthOutcome): void;
}

export interface UpstreamResolution {
  /** Host names that stand for processes of the platform (compose service names). */
  readonly platformHosts: ReadonlySet<string>;
  /** What those names resolve to where there is no compose network (a bare machine). */
  readonly platformAddress: string;
  /**
   * `host:port` replacements: by upstream name (all its targets), by a host name used in kong.yml
   * (every target or service URL with that host), or by a service name that is not also a host.
   * A comma-separated list stands for a name with several addresses, as DNS gives Kong for a
   * compose service with replicas: each address becomes a target of its own.
   */
  readonly overrides?: Readonly<Record<string, string>>;
  /** Logs health transitions; silent when absent. */
  readonly log?: Logger;
}

interface WeightedTarget {
  readonly address: string;
  readonly weight: number;
  current: number;
}

/** Smooth weighted round-robin (nginx's) over the targets that are healthy right now. */
function roundRobin(targets: WeightedTarget[], isHealthy: (address: string) => boolean): () => string | undefined {
  return () => {
    let best: WeightedTarget | undefined;
    let total = 0;
    for (const target of targets) {
      if (target.weight === 0 || !isHealthy(target.address)) continue;
      total += target.weight;
      target.current += target.weight;
      if (!best || target.current > best.current) best = target;
    }
    if (best) best.current -= total;
    return best?.address;
  };
}

const kongDefaultTargetPort = 8000;
const hostPort = /^[^:\s,]+:\d{1,5}$/;

/** Resolves kong.yml's hosts to addresses on this machine, with the overrides applied. */
export class HostResolver {
  private readonly overrides: Map<string, string[]>;

  constructor(
    private readonly resolution: UpstreamResolution,
    known: ReadonlySet<string>,
  ) {
    this.overrides = new Map(Object.entries(resolution.overrides ?? {}).map(([name, list]) => [name, list.split(',').map((part) => part.trim())]));
    const problems = [...this.overrides].flatMap(([name, addresses]) => [
      ...(known.has(name) || resolution.platformHosts.has(name) ? [] : [`"${name}" names no service, upstream or host in kong.yml`]),
      ...addresses.filter((address) => !hostPort.test(address)).map((address) => `"${name}": "${address}" is not host:port`),
    ]);
    if (problems.length > 0) throw new Error(`upstream overrides: ${problems.join('; ')}`);
  }

  override(name: string): readonly string[] | undefined {
    return this.overrides.get(name);
  }

  /** Every address a host of kong.yml stands for on this machine. */
  addresses(host: string, port: number): readonly string[] {
    return this.overrides.get(host) ?? [`${this.resolution.platformHosts.has(host) ? this.resolution.platformAddress : host}:${port}`];
  }

  /** One address for a host that is no balanced target (e.g. Redis). */
  address(host: string, port: number): string {
    return this.addresses(host, port)[0] ?? `${host}:${port}`;
  }
}

export interface UpstreamServices {
  services: Map<string, UpstreamService>;
  resolver: HostResolver;
  /** One per Kong upstream whose health is checked. */
  healthCheckers: HealthChecker[];
}

export function buildUpstreamServices(config: KongConfig, resolution: UpstreamResolution): UpstreamServices {
  const upstreams = new Map(config.upstreams.map((upstream) => [upstream.name, upstream]));
  const hostsInConfig = new Set([
    ...config.services.map((service) => service.url.host),
    ...config.upstreams.flatMap((upstream) => upstream.targets.map((target) => splitTarget(target.target).host)),
  ]);
  // Platform hosts are accepted even when kong.yml has no route to them yet (planned services).
  const known = new Set([...upstreams.keys(), ...config.services.map((service) => service.name), ...hostsInConfig]);
  const resolver = new HostResolver(resolution, known);
  const log = resolution.log;

  // One balancer per Kong upstream, shared by every service that points at it (Kong keeps health per upstream).
  const balancers = new Map<string, { targets: WeightedTarget[]; checker: HealthChecker | undefined; next: () => string | undefined }>();
  const balancerOf = (name: string) => {
    const existing = balancers.get(name);
    if (existing) return existing;
    const upstream = upstreams.get(name)!;
    const replacement = resolver.override(upstream.name);
    const targets: WeightedTarget[] = replacement
      ? replacement.map((address) => ({ address, weight: 1, current: 0 }))
      : upstream.targets.flatMap((target) => {
          const { host, port } = splitTarget(target.target);
          return resolver.addresses(host, port).map((address) => ({ address, weight: target.weight, current: 0 }));
        });
    const { active, passive } = upstream.healthchecks;
    const checked =
      active.healthy.interval > 0 ||
      active.unhealthy.interval > 0 ||
      passive.unhealthy.http_failures + passive.unhealthy.tcp_failures + passive.unhealthy.timeouts > 0;
    const checker = checked && log ? new HealthChecker(upstream.name, targets.map((t) => t.address), upstream.healthchecks, log) : undefined;
    const balancer = { targets, checker, next: roundRobin(targets, (address) => checker?.isHealthy(address) ?? true) };
    balancers.set(name, balancer);
    return balancer;
  };

  const services = new Map(
    config.services.map((service): [string, UpstreamService] => {
      const common = {
        name: service.name,
        basePath: service.url.path,
        connectTimeoutMs: service.connect_timeout,
        readTimeoutMs: service.read_timeout,
        retries: service.retries,
      };
      // A name that is also a host in kong.yml means that host (one target of several), not the whole service.
      const byServiceName = hostsInConfig.has(service.name) ? undefined : resolver.override(service.name);
      if (upstreams.has(service.url.host) && !(byServiceName && !resolver.override(service.url.host))) {
        const balancer = balancerOf(service.url.host);
        return [
          service.name,
          {
            ...common,
            targets: balancer.targets.map((target) => target.address),
            nextTarget: balancer.next,
            report: (address, outcome) => balancer.checker?.reportPassive(address, outcome),
          },
        ];
      }
      const addresses = byServiceName ?? resolver.addresses(service.url.host, service.url.port);
      const targets = addresses.map((address) => ({ address, weight: 1, current: 0 }));
      return [service.name, { ...common, targets: [...addresses], nextTarget: roundRobin(targets, () => true), report: () => {} }];
    }),
  );
  const healthCheckers = [...balancers.values()].flatMap((balancer) => (balancer.checker ? [balancer.checker] : []));
  return { services, resolver, healthCheckers };
}

function splitTarget(target: string): { host: string; port: number } {
  const [host = target, port] = target.split(':');
  return { host, port: port ? Number(port) : kongDefaultTargetPort };
}
