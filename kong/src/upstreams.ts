import type { KongConfig } from './kong-config';

/** Where one Kong service sends its requests. */
export interface UpstreamService {
  readonly name: string;
  /** The service URL's path, which Kong joins with the request path. */
  readonly basePath: string;
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  /** Every `host:port` the service may send to, for per-origin connection settings. */
  readonly targets: readonly string[];
  /** The next target (`host:port`), or undefined when none can take requests. */
  nextTarget(): string | undefined;
}

export interface UpstreamResolution {
  /** Host names that stand for processes of the platform (compose service names). */
  readonly platformHosts: ReadonlySet<string>;
  /** What those names resolve to where there is no compose network (a bare machine). */
  readonly platformAddress: string;
  /**
   * `host:port` replacements: by upstream name (all its targets), by a host name used in kong.yml
   * (every target or service URL with that host), or by a service name that is not also a host.
   */
  readonly overrides?: Readonly<Record<string, string>>;
}

interface WeightedTarget {
  readonly address: string;
  readonly weight: number;
  current: number;
}

/** Smooth weighted round-robin (nginx's): weights are honoured without bursts to one target. */
function roundRobin(targets: WeightedTarget[]): () => string | undefined {
  const live = targets.filter((target) => target.weight > 0);
  const total = live.reduce((sum, target) => sum + target.weight, 0);
  return () => {
    let best: WeightedTarget | undefined;
    for (const target of live) {
      target.current += target.weight;
      if (!best || target.current > best.current) best = target;
    }
    if (best) best.current -= total;
    return best?.address;
  };
}

const kongDefaultTargetPort = 8000;
const hostPort = /^[^:\s]+:\d{1,5}$/;

export function buildUpstreamServices(config: KongConfig, resolution: UpstreamResolution): Map<string, UpstreamService> {
  const overrides = new Map(Object.entries(resolution.overrides ?? {}));
  const upstreams = new Map(config.upstreams.map((upstream) => [upstream.name, upstream]));
  const hostsInConfig = new Set([
    ...config.services.map((service) => service.url.host),
    ...config.upstreams.flatMap((upstream) => upstream.targets.map((target) => splitTarget(target.target).host)),
  ]);
  // Platform hosts are accepted even when kong.yml has no route to them yet (planned services).
  const known = new Set([...upstreams.keys(), ...config.services.map((service) => service.name), ...hostsInConfig, ...resolution.platformHosts]);
  const problems = [...overrides].flatMap(([name, address]) => [
    ...(known.has(name) ? [] : [`"${name}" names no service, upstream or host in kong.yml`]),
    ...(hostPort.test(address) ? [] : [`"${name}": "${address}" is not host:port`]),
  ]);
  if (problems.length > 0) throw new Error(`upstream overrides: ${problems.join('; ')}`);

  const resolve = (host: string, port: number) =>
    overrides.get(host) ?? `${resolution.platformHosts.has(host) ? resolution.platformAddress : host}:${port}`;

  return new Map(
    config.services.map((service): [string, UpstreamService] => {
      const upstream = upstreams.get(service.url.host);
      // A name that is also a host in kong.yml means that host (one target of several), not the whole service.
      const byServiceName = hostsInConfig.has(service.name) ? undefined : overrides.get(service.name);
      const replacement = (upstream && overrides.get(upstream.name)) ?? byServiceName;
      const targets: WeightedTarget[] = replacement
        ? [{ address: replacement, weight: 1, current: 0 }]
        : upstream
          ? upstream.targets.map((target) => {
              const { host, port } = splitTarget(target.target);
              return { address: resolve(host, port), weight: target.weight, current: 0 };
            })
          : [{ address: resolve(service.url.host, service.url.port), weight: 1, current: 0 }];
      return [
        service.name,
        {
          name: service.name,
          basePath: service.url.path,
          connectTimeoutMs: service.connect_timeout,
          readTimeoutMs: service.read_timeout,
          targets: targets.map((target) => target.address),
          nextTarget: roundRobin(targets),
        },
      ];
    }),
  );
}

function splitTarget(target: string): { host: string; port: number } {
  const [host = target, port] = target.split(':');
  return { host, port: port ? Number(port) : kongDefaultTargetPort };
}
