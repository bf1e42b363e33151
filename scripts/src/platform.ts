import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { defaultMongoUrl, migrateService, edge, gateway, liveServices, mysqlUrl, parseMysqlUrl, provisionDatabase, type ServiceDefinition } from '@x/kit';
import { ensureInfrastructure, withoutUnavailableMongo, type InfraUrls } from './infra';
import { loadDevSecrets } from './secrets';

export const repoRoot = path.resolve(__dirname, '../..');

export interface PlatformOptions extends InfraUrls {
  /** Where secrets and logs live (`.x` in the repo for `npm start`, a temp dir for tests). */
  stateDir: string;
  /** Port per process name; defaults to the registry's. */
  ports?: Partial<Record<string, number>>;
  /** Prefix for database names and DB users, so a test platform never touches the dev one. */
  databasePrefix?: string;
  eventsExchange?: string;
  nodeEnv?: 'development' | 'test' | 'production';
  report?: (line: string) => void;
  readyTimeoutMs?: number;
  /** Processes run under `node --watch`: they restart when their compiled code changes. */
  watch?: readonly string[];
  /**
   * Gateway processes behind the edge's gateway-upstream (default 1). The first listens on the gateway's
   * port, the others on `ports['gateway-2']`, … or the next ports up.
   */
  gatewayReplicas?: number;
  /**
   * Processes per service (default 1). With 2, each service also runs as `<service>-2` on
   * `ports['<service>-2']` or the next port up, with the same database, settings and queue: the
   * instances compete for the service's events and their outbox relays share its outbox. The gateway
   * and the edge keep calling the first instance.
   */
  serviceReplicas?: number;
  /** Extra node flags per process name (the bench profiles a service with `--cpu-prof`). */
  nodeFlags?: Partial<Record<string, string[]>>;
}

export interface RunningPlatform {
  urls: { edge: string; gateway: string; gatewayReplicas: string[]; services: Record<string, string> };
  hqAdmin: { email: string; password: string };
  logDir: string;
  /** Stops every process, edge first and services last, and waits for them to exit. */
  stop(): Promise<void>;
  /** Resolves with the name of the first process that exits on its own. */
  exited: Promise<{ name: string; code: number | null; signal: NodeJS.Signals | null }>;
  /** Fault injection for tests: `kill -9` of one process, as a crash would. */
  crash(name: string): Promise<void>;
  /** Starts a crashed process again with the same settings and waits until it is ready. */
  restart(name: string): Promise<void>;
  /** The operating-system process id of a running process (fault tests find its sockets by it). */
  pidOf(name: string): number | undefined;
}

interface ProcessSpec {
  name: string;
  script: string;
  port: number;
  env: Record<string, string>;
  nodeFlags?: readonly string[];
}

/**
 * The gateway allocates a short-lived object graph per answer (plans, shaped results): a larger young
 * generation lets most of it die without promotion (measured about 15% more answers per second).
 * docker-compose sets the same through NODE_OPTIONS.
 */
export const gatewayNodeFlags = ['--max-semi-space-size=64'];

/**
 * A subgraph's garbage is a few small objects per event or request: V8's default lets the young
 * generation grow to 3 × 16 MiB under load and keep it (order held 32 MiB of new space after a
 * throughput run); 4 MiB semi-spaces cap that at 12 MiB. The Dockerfile sets the same through NODE_OPTIONS.
 */
export const serviceNodeFlags = ['--max-semi-space-size=4'];

/**
 * glibc raises its mmap threshold after each large free, so the 19 MiB blocks argon2 hashes in (one
 * per libuv thread) end up in malloc's arenas and stay resident: auth held 172 MiB of native memory
 * after logins, 76 MiB less with the threshold fixed at its default (blocks mmapped and returned on
 * free). Set for every process (the Dockerfile too); nothing else allocates blocks that large often.
 */
export const processEnvironment = { MALLOC_MMAP_THRESHOLD_: '131072' };

/**
 * Brings the platform up as separate processes: checks MariaDB, Redis and RabbitMQ, provisions each
 * service's database and user, applies migrations, starts services, gateway and edge, and waits
 * until each reports ready. A MongoDB service runs only when MongoDB answers (see withoutUnavailableMongo).
 */
export async function startPlatform(options: PlatformOptions): Promise<RunningPlatform> {
  const report = options.report ?? (() => {});
  const portOf = (name: string, fallback: number) => options.ports?.[name] ?? fallback;
  const prefix = options.databasePrefix ?? '';
  const live = liveServices();
  const mongoUrl = options.mongoUrl ?? process.env.MONGO_URL ?? defaultMongoUrl;
  const logDir = path.join(options.stateDir, 'logs');
  mkdirSync(logDir, { recursive: true });

  await ensureInfrastructure(options, report);
  const services = await withoutUnavailableMongo(live, mongoUrl, report);
  const secrets = loadDevSecrets(options.stateDir, services.map((s) => s.name));

  const admin = parseMysqlUrl(options.mysqlAdminUrl);
  const databaseUrls: Record<string, string> = {};
  for (const service of services.filter((s) => s.backing.includes('mysql'))) {
    const database = `${prefix}${service.database}`;
    const data = { user: `${prefix}${service.database}`.slice(0, 32), password: secrets.databasePasswords[service.name]! };
    const migrations = { user: `${data.user.slice(0, 28)}_ddl`, password: secrets.migrationPasswords[service.name]! };
    await provisionDatabase({ adminUrl: options.mysqlAdminUrl, database, migrations, data });
    databaseUrls[service.name] = mysqlUrl({ host: admin.host, port: admin.port, ...data, database });
    const applied = await migrateService({
      migrationsUrl: mysqlUrl({ host: admin.host, port: admin.port, ...migrations, database }),
      dir: path.join(repoRoot, 'prisma', service.name, 'migrations'),
      dataUser: data.user,
      appendOnlyTables: service.appendOnlyTables,
    });
    report(`${service.name}: database ${database} ready${applied.length ? ` (applied ${applied.join(', ')})` : ''}`);
  }

  const authPort = portOf('auth', 3000);
  const common: Record<string, string> = {
    NODE_ENV: options.nodeEnv ?? 'development',
    AMQP_URL: options.amqpUrl,
    // Every process stops on its own should this one die without stopping them.
    SUPERVISOR_PID: String(process.pid),
    REDIS_URL: options.redisUrl,
    EVENTS_EXCHANGE: options.eventsExchange ?? 'x.events',
    AUTH_JWKS_URL: `http://127.0.0.1:${authPort}/auth/.well-known/jwks.json`,
  };
  // Skipped services keep their port, so the gateway's fetches to them fail at once instead of reaching another platform.
  const servicePorts = Object.fromEntries(live.map((s) => [s.name, portOf(s.name, s.port)]));
  const gatewayPort = portOf(gateway.name, gateway.port);
  const replicas = Math.max(1, options.gatewayReplicas ?? 1);
  const gatewayNames = Array.from({ length: replicas }, (_, index) => (index === 0 ? gateway.name : `${gateway.name}-${index + 1}`));
  const gatewayPorts = gatewayNames.map((name, index) => portOf(name, gatewayPort + index));
  const edgePort = portOf(edge.name, edge.port);
  // The edge reads kong.yml with auth's public keys filled in, rendered once auth answers (as compose's kong-config step).
  const renderedKongConfig = path.join(options.stateDir, 'kong.yml');
  // Redis keys of this platform's edge and gateways start with the database prefix (tests share one Redis).
  const redisKeyPrefix = prefix;

  const serviceSpec = (service: ServiceDefinition, name: string, port: number): ProcessSpec => ({
    name,
    script: path.join(repoRoot, 'subgraphs', service.name, 'dist', 'main.js'),
    nodeFlags: serviceNodeFlags,
    port,
    env: {
      ...common,
      PORT: String(port),
      ...(databaseUrls[service.name] ? { DATABASE_URL: databaseUrls[service.name]! } : {}),
      ...(service.backing.includes('mongodb') ? { MONGO_URL: mongoUrl, MONGO_DATABASE: `${prefix}${service.database}` } : {}),
      ...(service.name === 'auth'
        ? { HQ_ADMIN_EMAIL: secrets.hqAdmin.email, HQ_ADMIN_PASSWORD: secrets.hqAdmin.password, AUTH_REDIS_PREFIX: `${redisKeyPrefix}x:auth:` }
        : {}),
    },
  });
  const firstInstanceSpecs = services.map((service) => serviceSpec(service, service.name, servicePorts[service.name]!));
  const serviceReplicas = Math.max(1, options.serviceReplicas ?? 1);
  const replicaSpecs = services.flatMap((service) =>
    Array.from({ length: serviceReplicas - 1 }, (_, index) => {
      const name = `${service.name}-${index + 2}`;
      return serviceSpec(service, name, portOf(name, servicePorts[service.name]! + index + 1));
    }),
  );
  const gatewaySpecs: ProcessSpec[] = gatewayNames.map((name, index) => ({
    name,
    script: path.join(repoRoot, 'supergraph', 'dist', 'gateway.js'),
    nodeFlags: gatewayNodeFlags,
    port: gatewayPorts[index]!,
    env: {
      ...common,
      PORT: String(gatewayPorts[index]),
      GATEWAY_REDIS_KEY_PREFIX: `${redisKeyPrefix}x:gateway:`,
      ...Object.fromEntries(live.map((s) => [`SUBGRAPH_URL_${s.name.toUpperCase().replace(/-/g, '_')}`, `http://127.0.0.1:${servicePorts[s.name]}/graphql`])),
    },
  }));
  const edgeSpec: ProcessSpec = {
    name: edge.name,
    script: path.join(repoRoot, 'kong', 'dist', 'edge.js'),
    port: edgePort,
    env: {
      ...common,
      EDGE_PORT: String(edgePort),
      EDGE_CONFIG: renderedKongConfig,
      EDGE_REDIS_KEY_PREFIX: redisKeyPrefix,
      // kong.yml names Redis's password as {vault://env/x-edge-redis-password}.
      X_EDGE_REDIS_PASSWORD: decodeURIComponent(new URL(options.redisUrl).password),
      EDGE_UPSTREAMS: JSON.stringify({
        // One name, several addresses: the edge balances over the replicas as Kong over a DNS name's records.
        gateway: gatewayPorts.map((port) => `127.0.0.1:${port}`).join(','),
        redis: redisAddress(options.redisUrl),
        ...Object.fromEntries(live.map((s) => [s.name, `127.0.0.1:${servicePorts[s.name]}`])),
      }),
    },
  };

  const children: { spec: ProcessSpec; child: ChildProcess; logFd: number }[] = [];
  let stopping = false;
  const crashedOnPurpose = new Set<ChildProcess>();
  let resolveExited: (value: { name: string; code: number | null; signal: NodeJS.Signals | null }) => void = () => {};
  const exited = new Promise<{ name: string; code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    resolveExited = resolve;
  });

  // Each process writes its log file itself: a pipe through this process would stall a busy service's
  // synchronous log writes whenever this process is slow to drain it.
  function launch(spec: ProcessSpec, logFd = openSync(path.join(logDir, `${spec.name}.log`), 'a')) {
    const watchFlags = options.watch?.includes(spec.name) ? ['--watch', '--watch-preserve-output'] : [];
    const child = spawn(process.execPath, [...watchFlags, ...(spec.nodeFlags ?? []), ...(options.nodeFlags?.[spec.name] ?? []), '--enable-source-maps', spec.script], {
      cwd: repoRoot,
      env: { ...process.env, ...processEnvironment, ...spec.env },
      stdio: ['ignore', logFd, logFd],
    });
    child.once('exit', (code, signal) => {
      if (!stopping && !crashedOnPurpose.has(child)) resolveExited({ name: spec.name, code, signal });
    });
    return { spec, child, logFd };
  }

  const entryOf = (name: string) => {
    const entry = children.find((candidate) => candidate.spec.name === name);
    if (!entry) throw new Error(`no process named ${name}`);
    return entry;
  };

  const crash = async (name: string) => {
    const { child } = entryOf(name);
    if (child.exitCode !== null || child.signalCode !== null) return;
    crashedOnPurpose.add(child);
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await gone;
  };

  const restart = async (name: string) => {
    const entry = entryOf(name);
    if (entry.child.exitCode === null && entry.child.signalCode === null) throw new Error(`${name} is still running`);
    const relaunched = launch(entry.spec, entry.logFd);
    children[children.indexOf(entry)] = relaunched;
    await waitUntilReady(entry.spec, options.readyTimeoutMs ?? 60_000, exited, report);
  };

  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= stopAll());
  const stopAll = async () => {
    stopping = true;
    for (const { child } of [...children].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGTERM');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, 15_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    for (const { logFd } of children) closeSync(logFd);
  };

  try {
    // Services first (auth publishes the JWKS the others verify against), then their further instances
    // beside the gateways, then the edge. A second auth started beside the first would create a second
    // signing key (and race for the first hq_admin): once the first is ready it finds both in the database.
    const groups = [firstInstanceSpecs, [...replicaSpecs, ...gatewaySpecs], [edgeSpec]];
    for (const group of groups) {
      if (group === groups[2]) {
        await renderKongConfig(`${common.AUTH_JWKS_URL}`, renderedKongConfig);
        report(`edge: kong.yml rendered with auth's public keys (${path.relative(repoRoot, renderedKongConfig)})`);
      }
      for (const spec of group) children.push(launch(spec));
      await Promise.all(group.map((spec) => waitUntilReady(spec, options.readyTimeoutMs ?? 60_000, exited, report)));
    }
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    urls: {
      edge: `http://127.0.0.1:${edgePort}`,
      gateway: `http://127.0.0.1:${gatewayPort}`,
      gatewayReplicas: gatewayPorts.map((port) => `http://127.0.0.1:${port}`),
      services: Object.fromEntries(services.map((s) => [s.name, `http://127.0.0.1:${servicePorts[s.name]}`])),
    },
    hqAdmin: secrets.hqAdmin,
    logDir,
    stop,
    exited,
    crash,
    restart,
    pidOf: (name) => entryOf(name).child.pid,
  };
}

/** kong/dist/render-config.js, the same one-shot step compose runs before Kong starts. */
async function renderKongConfig(jwksUrl: string, output: string): Promise<void> {
  try {
    await promisify(execFile)(process.execPath, [path.join(repoRoot, 'kong', 'dist', 'render-config.js'), '--jwks-url', jwksUrl, '--out', output, '--wait-seconds', '30'], {
      cwd: repoRoot,
    });
  } catch (error) {
    const stderr = typeof error === 'object' && error !== null && 'stderr' in error ? String(error.stderr).trim() : String(error);
    throw new Error(`could not render kong.yml for the edge: ${stderr}`);
  }
}

function redisAddress(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '6379'}`;
}

async function waitUntilReady(
  spec: ProcessSpec,
  timeoutMs: number,
  exited: Promise<{ name: string }>,
  report: (line: string) => void,
): Promise<void> {
  const started = Date.now();
  let died: { name: string } | undefined;
  void exited.then((value) => {
    died = value;
  });
  const readyPath = spec.name === edge.name ? '/__edge/ready' : '/ready';
  while (Date.now() - started < timeoutMs) {
    if (died) throw new Error(`${died.name} exited while starting; see its log`);
    try {
      const response = await fetch(`http://127.0.0.1:${spec.port}${readyPath}`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) {
        report(`${spec.name} ready on :${spec.port} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${spec.name} not ready within ${timeoutMs / 1000} s; see its log`);
}
