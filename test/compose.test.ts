import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createMetrics, edge, gateway, liveServices, service, services, type ServiceDefinition } from '@x/kit';
import { parse } from 'yaml';
import { loadKongConfig } from '../kong/src/kong-config';
import { gatewayNodeFlags, processEnvironment, serviceNodeFlags } from '../scripts/src/platform';

/** No Docker engine runs here: these checks keep docker-compose.yml and kong.yml true to the registry. */

const root = path.resolve(__dirname, '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

interface ComposeService {
  image?: string;
  user?: string;
  deploy?: { replicas?: number };
  build?: { context: string; dockerfile: string };
  profiles?: string[];
  environment?: Record<string, string>;
  expose?: string[];
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  configs?: { source: string; target: string }[];
  command?: string[];
  entrypoint?: string[];
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  configs: Record<string, { content: string }>;
}

interface KongYaml {
  upstreams: { name: string; targets: { target: string }[] }[];
  services: { name: string; url: string; routes: { name: string; paths: string[]; methods?: string[]; strip_path?: boolean }[] }[];
}

// Widened from the registry's literal tuple so per-service checks can ask about any store.
const registry: readonly ServiceDefinition[] = services;
const byName = registry.map((definition) => [definition.name, definition] as const);

const composeText = read('docker-compose.yml');
// Compose resolves YAML merge keys (`<<: *anchor`); so must the test.
const compose = parse(composeText, { merge: true }) as ComposeFile;
const kong = parse(read('kong/kong.yml')) as KongYaml;
const envExample = read('.env.example');

const secret = (name: string) => new RegExp(`^\\$\\{${name}:\\?[^}]+\\}$`);
const secretInside = (name: string) => `\\$\\{${name}:\\?[^}]+\\}`;
const passwordVariable = (definition: ServiceDefinition) => `${definition.database.toUpperCase()}_DB_PASSWORD`;

function composeService(name: string): ComposeService {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

function environmentOf(name: string): Record<string, string> {
  return composeService(name).environment ?? {};
}

describe('docker-compose.yml against the service registry', () => {
  it('lists every service of the registry, the gateway, Kong, the four backing stores, Prometheus, Grafana and Jaeger', () => {
    const expected = [...registry.map((s) => s.name), gateway.name, 'kong', 'kong-config', 'mysql', 'mongodb', 'redis', 'rabbitmq', 'prometheus', 'grafana', 'jaeger'];
    expect(Object.keys(compose.services).sort()).toEqual(expected.sort());
  });

  it.each(byName)('runs %s from the one image with its port, a /ready healthcheck and its profile', (name, definition) => {
    const entry = composeService(name);
    expect(entry.build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
    expect(entry.image).toBe('x-platform:local');
    expect(entry.profiles).toEqual(definition.live ? undefined : ['planned']);
    expect(entry.environment).toMatchObject({ SERVICE: name, PORT: String(definition.port), HOST: '0.0.0.0' });
    expect(entry.expose).toEqual([String(definition.port)]);
    expect(entry.healthcheck?.test.join(' ')).toContain("process.env.PORT + '/ready'");
  });

  it.each(byName)('gives %s the connection settings of its stores, the broker and the JWKS', (name, definition) => {
    const env = environmentOf(name);
    expect(env.AMQP_URL).toMatch(new RegExp(`^amqp://x:${secretInside('RABBITMQ_PASSWORD')}@rabbitmq:5672$`));
    expect(env.AUTH_JWKS_URL).toBe(`http://auth:${service('auth').port}/auth/.well-known/jwks.json`);
    const mysql = `^mysql://${definition.database}:${secretInside(passwordVariable(definition))}@mysql:3306/${definition.database}$`;
    if (definition.backing.includes('mysql')) expect(env.DATABASE_URL).toMatch(new RegExp(mysql));
    else expect(env.DATABASE_URL).toBeUndefined();
    if (definition.backing.includes('redis')) expect(env.REDIS_URL).toMatch(new RegExp(`^redis://:${secretInside('REDIS_PASSWORD')}@redis:6379$`));
    else expect(env.REDIS_URL).toBeUndefined();
    const mongo = `^mongodb://${definition.database}:${secretInside(passwordVariable(definition))}@mongodb:27017/${definition.database}$`;
    if (definition.backing.includes('mongodb')) expect(env.MONGO_URL).toMatch(new RegExp(mongo));
    else expect(env.MONGO_URL).toBeUndefined();
  });

  it.each(byName)('starts %s only after its stores and the broker are healthy', (name, definition) => {
    const expected = Object.fromEntries([...definition.backing, 'rabbitmq'].map((store) => [store, { condition: 'service_healthy' }]));
    expect(composeService(name).depends_on).toEqual(expected);
  });

  it('waits on healthchecks only (or the one-shot kong-config step finishing): every service something depends on has one', () => {
    for (const [name, entry] of Object.entries(compose.services)) {
      for (const [dependency, { condition }] of Object.entries(entry.depends_on ?? {})) {
        if (dependency === 'kong-config') {
          expect([name, condition]).toEqual(['kong', 'service_completed_successfully']);
          continue;
        }
        expect([name, dependency, condition]).toEqual([name, dependency, 'service_healthy']);
        expect(composeService(dependency).healthcheck?.test.length).toBeGreaterThan(0);
      }
    }
  });

  it('renders auth’s JWKS into kong.yml in a one-shot step once auth is healthy, into a volume only Kong reads', () => {
    const step = composeService('kong-config');
    expect(step.image).toBe('x-platform:local');
    expect(step.command).toEqual([
      'node',
      'kong/dist/render-config.js',
      '--jwks-url',
      `http://auth:${service('auth').port}/auth/.well-known/jwks.json`,
      '--template',
      '/kong/kong.yml',
      '--out',
      '/kong-config/kong.yml',
    ]);
    expect(step.volumes).toEqual(['./kong/kong.yml:/kong/kong.yml:ro', 'kong-config:/kong-config']);
    expect(step.depends_on).toEqual({ auth: { condition: 'service_healthy' } });
    expect(composeService('kong').volumes).toEqual(['kong-config:/kong-config:ro']);
  });

  it('runs two gateway replicas behind one name, each with a loopback port for Apollo Sandbox', () => {
    const entry = composeService(gateway.name);
    expect(entry.deploy?.replicas).toBe(2);
    expect(entry.ports).toEqual([`127.0.0.1:${gateway.port}-${gateway.port + 1}:${gateway.port}`]);
    expect(entry.environment?.REDIS_URL).toMatch(new RegExp(`^redis://:${secretInside('REDIS_PASSWORD')}@redis:6379$`));
  });

  it('runs the gateway on its port with every subgraph URL, after the live services', () => {
    const entry = composeService(gateway.name);
    expect(entry.environment).toMatchObject({ SERVICE: 'gateway', PORT: String(gateway.port), HOST: '0.0.0.0' });
    for (const definition of registry) {
      expect(entry.environment?.[`SUBGRAPH_URL_${definition.name.toUpperCase().replace(/-/g, '_')}`]).toBe(`http://${definition.name}:${definition.port}/graphql`);
    }
    expect(entry.healthcheck?.test.join(' ')).toContain('/ready');
    for (const definition of liveServices()) expect(entry.depends_on?.[definition.name]).toEqual({ condition: 'service_healthy' });
  });

  it('runs Kong 3 DB-less with kong/kong.yml: proxy on host port 9090, admin 8001, manager 8002', () => {
    const entry = composeService('kong');
    expect(entry.image).toMatch(/^kong:3\.\d+/);
    expect(entry.environment).toMatchObject({ KONG_DATABASE: 'off', KONG_DECLARATIVE_CONFIG: '/kong-config/kong.yml', KONG_HEADERS: 'off' });
    // kong.yml's rate-limiting finds Redis's password through Kong's env vault.
    expect(entry.environment?.X_EDGE_REDIS_PASSWORD).toMatch(secret('REDIS_PASSWORD'));
    expect(entry.depends_on).toMatchObject({ 'kong-config': { condition: 'service_completed_successfully' }, redis: { condition: 'service_healthy' } });
    expect(entry.ports).toEqual([`${edge.port}:8000`, '127.0.0.1:8001:8001', '127.0.0.1:8002:8002']);
    expect(entry.healthcheck?.test).toEqual(['CMD', 'kong', 'health']);
    for (const name of [gateway.name, ...liveServices().map((s) => s.name)]) expect(entry.depends_on?.[name]).toEqual({ condition: 'service_healthy' });
  });

  it('creates each MySQL service’s database with a DDL user that owns it and a data user the migrations step grants rows to', () => {
    const mysql = composeService('mysql');
    const script = compose.configs['mysql-databases']?.content ?? '';
    expect(mysql.configs).toEqual([expect.objectContaining({ source: 'mysql-databases', target: '/docker-entrypoint-initdb.d/10-databases.sh' })]);
    expect(script).toContain("GRANT ALL PRIVILEGES ON \\`$$1\\`.* TO '$$1_ddl'@'%' WITH GRANT OPTION;");
    expect(script).toContain("CREATE USER IF NOT EXISTS '$$1'@'%' IDENTIFIED WITH mysql_native_password BY '$$2';");
    // The data user gets no database-wide privilege: only the tables' rows, granted after each migration.
    expect(script).not.toMatch(/GRANT [^\n]* TO '\$\$1'@/);
    for (const definition of registry.filter((s) => s.backing.includes('mysql'))) {
      const ddlVariable = passwordVariable(definition).replace(/_DB_PASSWORD$/, '_DDL_PASSWORD');
      expect(script).toContain(`create_database ${definition.database} "$$${passwordVariable(definition)}" "$$${ddlVariable}"`);
      expect(mysql.environment?.[passwordVariable(definition)]).toMatch(secret(passwordVariable(definition)));
      expect(mysql.environment?.[ddlVariable]).toMatch(secret(ddlVariable));
      const environment = composeService(definition.name).environment ?? {};
      expect(environment.MIGRATION_DATABASE_URL).toBe(`mysql://${definition.database}_ddl:\${${ddlVariable}:?see .env.example}@mysql:3306/${definition.database}`);
    }
  });

  it('runs MongoDB as a single-node replica set (transactions need one), initiated by its healthcheck', () => {
    const mongodb = composeService('mongodb');
    expect(mongodb.command).toEqual(['mongod', '--replSet', 'rs0', '--keyFile', '/data/configdb/replica-set.key']);
    // The key file is written before the image's entrypoint runs, readable by mongod alone.
    expect(mongodb.entrypoint?.join('\n')).toMatch(/> "\$\$key"\n.*chown mongodb:mongodb "\$\$key"\nchmod 400 "\$\$key"\nexec docker-entrypoint\.sh "\$\$@"/s);
    const check = mongodb.healthcheck?.test.join(' ') ?? '';
    expect(check).toContain("rs.initiate({ _id: 'rs0', members: [{ _id: 0, host: 'mongodb:27017' }] })");
    expect(check).toContain('db.hello().isWritablePrimary');
    expect(mongodb.ports).toEqual(['127.0.0.1:27017:27017']);
  });

  it('takes every secret from .env with ${VAR:?…}, and .env.example names each one', () => {
    const references = [...composeText.matchAll(/(?<!\$)\$\{([^}]*)\}/g)].map((match) => match[1] ?? '');
    expect(references.length).toBeGreaterThan(0);
    for (const reference of references) expect(reference).toMatch(/^[A-Z0-9_]+:\?.+$/);
    const variables = new Set(references.map((reference) => reference.split(':')[0]));
    const documented = new Set([...envExample.matchAll(/^([A-Z0-9_]+)=/gm)].map((match) => match[1]));
    expect([...variables].filter((name) => !documented.has(name))).toEqual([]);
    expect(read('.dockerignore').split('\n')).toContain('.env');
  });
});

interface PrometheusConfig {
  scrape_configs: {
    job_name: string;
    metrics_path?: string;
    static_configs?: { targets: string[] }[];
    dns_sd_configs?: { names: string[]; type: string; port: number }[];
  }[];
}

interface GrafanaDashboard {
  uid: string;
  panels: { title: string; datasource: { uid: string }; targets: { expr: string }[] }[];
}

describe('Prometheus and Grafana (observability/)', () => {
  const prometheus = parse(read('observability/prometheus.yml')) as PrometheusConfig;
  const dashboard = JSON.parse(read('observability/grafana/dashboards/x-platform.json')) as GrafanaDashboard;
  const datasources = parse(read('observability/grafana/provisioning/datasources/prometheus.yml')) as { datasources: { uid: string; url: string }[] };
  const expressions = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)).join('\n');

  it('scrapes /metrics of every live service on its registry port, and nothing else', () => {
    const targets = prometheus.scrape_configs.flatMap((job) => (job.static_configs ?? []).flatMap((config) => config.targets));
    expect(targets.sort()).toEqual(liveServices().map((definition) => `${definition.name}:${definition.port}`).sort());
    for (const job of prometheus.scrape_configs) expect(job.metrics_path ?? '/metrics').toBe('/metrics');
  });

  it('has every service and the gateway export traces to Jaeger over OTLP/HTTP', () => {
    for (const name of [...liveServices().map((definition) => definition.name), gateway.name]) {
      expect([name, environmentOf(name).OTEL_EXPORTER_OTLP_ENDPOINT]).toEqual([name, 'http://jaeger:4318']);
    }
    expect(composeService('jaeger').expose).toEqual(['4318']);
  });

  it('scrapes every gateway replica through the addresses its one name resolves to', () => {
    const discovered = prometheus.scrape_configs.flatMap((job) => job.dns_sd_configs ?? []);
    expect(discovered).toEqual([{ names: [gateway.name], type: 'A', port: gateway.port }]);
    expect(composeService(gateway.name).deploy?.replicas).toBeGreaterThan(1);
  });

  it('mounts that configuration into Prometheus, and provisions Grafana with it as data source and the dashboard', () => {
    expect(composeService('prometheus').volumes).toContain('./observability/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
    expect(composeService('grafana').volumes).toEqual(
      expect.arrayContaining(['./observability/grafana/provisioning:/etc/grafana/provisioning:ro', './observability/grafana/dashboards:/var/lib/grafana/dashboards:ro']),
    );
    expect(datasources.datasources).toEqual([expect.objectContaining({ uid: 'x-prometheus', url: 'http://prometheus:9090' })]);
    for (const panel of dashboard.panels) expect(panel.datasource.uid).toBe('x-prometheus');
  });

  it('charts the platform\'s own metrics: HTTP, GraphQL and subgraph latency, events per type, outbox backlog and age, consumer lag', () => {
    for (const metric of [
      'http_request_duration_seconds_bucket',
      'graphql_operation_duration_seconds_bucket',
      'gateway_subgraph_fetch_duration_seconds_bucket',
      'events_published_total',
      'events_consumed_total',
      'outbox_backlog_events',
      'outbox_oldest_unsent_age_seconds',
      'consumer_queue_messages',
    ]) {
      expect(expressions).toContain(metric);
    }
    // Every metric the dashboard asks for is one the kit's registry exposes.
    const exposed = new Set(createMetrics('compose-test').registry.getMetricsAsArray().map((metric) => metric.name));
    const asked = [...expressions.matchAll(/\b([a-z0-9_]+?)(_bucket|_count|_sum)?\{/g)].map((match) => match[1] ?? '');
    expect(asked.filter((name) => !exposed.has(name))).toEqual([]);
  });

  it('loads alert rules (dead letters parked, consumer lag, stuck outbox, retries, services down, 5xx) on the kit\'s metrics only', () => {
    const alerts = parse(read('observability/alerts.yml')) as { groups: { rules: { alert: string; expr: string }[] }[] };
    const rules = alerts.groups.flatMap((group) => group.rules);
    expect(rules.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining(['DeadLettersParked', 'ConsumerLagging', 'OutboxStuck', 'EventsRetrying', 'ServiceDown', 'ServerErrors']),
    );
    expect((prometheus as PrometheusConfig & { rule_files?: string[] }).rule_files).toEqual(['/etc/prometheus/alerts.yml']);
    expect(composeService('prometheus').volumes).toContain('./observability/alerts.yml:/etc/prometheus/alerts.yml:ro');
    const exposed = new Set([...createMetrics('compose-test').registry.getMetricsAsArray().map((metric) => metric.name), 'up']);
    const asked = rules.flatMap((rule) => [...rule.expr.matchAll(/\b([a-z0-9_]+?)(_bucket|_count|_sum)?(\{| ==| >)/g)].map((match) => match[1] ?? ''));
    expect(asked.length).toBeGreaterThanOrEqual(rules.length);
    expect(asked.filter((name) => !exposed.has(name))).toEqual([]);
  });
});

describe('kong/kong.yml against the service registry', () => {
  const upstreamNames = new Set(kong.upstreams.map((upstream) => upstream.name));

  it.each(liveServices().filter((s) => s.restPrefix).map((s) => [s.name, s] as const))('routes %s’s REST prefix to it unchanged (strip_path false) on its port', (name, definition) => {
    const owner = kong.services.find((entry) => entry.routes.some((route) => route.paths.includes(definition.restPrefix ?? '')));
    expect(owner?.url).toBe(`http://${name}:${definition.port}`);
    const route = owner?.routes.find((entry) => entry.paths.includes(definition.restPrefix ?? ''));
    expect(route?.strip_path).toBe(false);
    expect(route?.methods).toContain('OPTIONS');
  });

  it('routes /graphql to the gateway through an upstream whose target is gateway on its port', () => {
    const owner = kong.services.find((entry) => entry.routes.some((route) => route.paths.includes('/graphql')));
    const host = new URL(owner?.url ?? 'http://missing').hostname;
    expect(upstreamNames.has(host)).toBe(true);
    expect(kong.upstreams.find((upstream) => upstream.name === host)?.targets).toEqual([expect.objectContaining({ target: `${gateway.name}:${gateway.port}` })]);
  });

  it('names hosts only by compose service names', () => {
    const hosts = [
      ...kong.services.map((entry) => new URL(entry.url).hostname).filter((host) => !upstreamNames.has(host)),
      ...kong.upstreams.flatMap((upstream) => upstream.targets.map((target) => target.target.split(':')[0] ?? '')),
    ];
    for (const host of hosts) expect(Object.keys(compose.services)).toContain(host);
  });

  interface PluginEntry {
    name: string;
    config?: Record<string, unknown> & { redis?: { host: string; password?: string }; request_method?: string[] };
  }
  const raw = parse(read('kong/kong.yml')) as {
    consumers: { username: string; jwt_secrets: unknown[] }[];
    upstreams: { healthchecks?: { active?: unknown; passive?: unknown } }[];
    plugins: PluginEntry[];
    services: { name: string; plugins?: PluginEntry[]; routes: { name: string; headers?: Record<string, string[]>; plugins?: PluginEntry[] }[] }[];
  };
  const allPlugins = [...raw.plugins, ...raw.services.flatMap((entry) => [...(entry.plugins ?? []), ...entry.routes.flatMap((route) => route.plugins ?? [])])];

  it('uses open-source Kong plugins only', () => {
    const openSource = new Set(['correlation-id', 'cors', 'jwt', 'request-size-limiting', 'rate-limiting', 'response-transformer', 'proxy-cache', 'file-log']);
    expect(allPlugins.map((plugin) => plugin.name).filter((name) => !openSource.has(name))).toEqual([]);
  });

  it('leaves the x-auth consumer’s jwt_secrets to the render step (no key committed)', () => {
    expect(raw.consumers).toEqual([expect.objectContaining({ username: 'x-auth', jwt_secrets: [] })]);
  });

  it('checks tokens on the GraphQL route for requests with Authorization and on /user, never on anonymous GraphQL', () => {
    const routes = new Map(raw.services.flatMap((entry) => entry.routes.map((route) => [route.name, route] as const)));
    const names = (route: string) => (routes.get(route)?.plugins ?? []).map((plugin) => plugin.name);
    expect(routes.get('graphql-authenticated')?.headers).toEqual({ authorization: ['~*.'] });
    expect(names('graphql-authenticated')).toContain('jwt');
    expect(names('user')).toContain('jwt');
    expect(names('graphql')).not.toContain('jwt');
    expect(names('graphql')).toContain('proxy-cache');
    expect(names('graphql-authenticated')).not.toContain('proxy-cache');
  });

  it('caches GET only, and keeps rate-limit counters in the compose Redis with the password from Kong’s env vault', () => {
    for (const plugin of allPlugins.filter((entry) => entry.name === 'proxy-cache')) expect(plugin.config?.request_method).toEqual(['GET', 'HEAD']);
    const limits = allPlugins.filter((entry) => entry.name === 'rate-limiting');
    expect(limits.length).toBeGreaterThan(0);
    for (const plugin of limits) {
      expect(plugin.config).toMatchObject({ policy: 'redis', redis: { host: 'redis', password: '{vault://env/x-edge-redis-password}' } });
      expect(Object.keys(compose.services)).toContain(plugin.config?.redis?.host);
    }
    expect(composeService('kong').environment).toHaveProperty('X_EDGE_REDIS_PASSWORD');
  });

  it('checks the gateway replicas’ health actively and passively', () => {
    expect(raw.upstreams[0]?.healthchecks).toMatchObject({ active: { http_path: '/health' }, passive: { unhealthy: { tcp_failures: 1 } } });
  });

  it('is accepted by the local edge (no field or plugin it does not implement)', async () => {
    await expect(loadKongConfig(path.join(root, 'kong/kong.yml'))).resolves.toMatchObject({ _format_version: '3.0' });
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('builds on node:20-slim and picks the process by SERVICE', () => {
    expect(dockerfile).toMatch(/^FROM node:20-slim AS build$/m);
    expect(dockerfile).toMatch(/^ENV SERVICE=\$\{SERVICE\}$/m);
    expect(dockerfile).toMatch(/^CMD \["x-run"\]$/m);
  });

  it('migrates a MySQL service’s database before starting it', () => {
    expect(dockerfile).toContain("backing.includes('mysql')");
    expect(dockerfile).toContain('node scripts/dist/migrate.js "$name"');
  });

  it('runs every process with the node flags and allocator setting npm start uses, the gateway with its own', () => {
    expect(dockerfile).toContain(`NODE_OPTIONS=${serviceNodeFlags.join(' ')}`);
    for (const [name, value] of Object.entries(processEnvironment)) expect(dockerfile).toContain(`${name}=${value}`);
    const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };
    expect(compose.services.gateway?.environment?.NODE_OPTIONS).toBe(gatewayNodeFlags.join(' '));
  });
});
