import { randomBytes, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createConnection } from 'mariadb';
import { edge, gateway, liveServices, parseMysqlUrl } from '@x/kit';
import { gatewayNodeFlags, repoRoot, startPlatform, type RunningPlatform } from '../platform';
import { measureEventFloor, measureSaga, type EventFloor, type SagaFigures } from './events';
import { load, round, type LoadFigures, type LoadTarget } from './load';
import { binary, childPids, cpuSecondsDuring, cpuShares, echoBody, freePort, memoryBreakdown, rssKiB, startEcho, startHelper, startNginx, type Helper, type MemoryBreakdown } from './processes';
import { summarizeProfile, summarizeProfileFile, type ProfileSummary } from './profile';
import { findCapacity, type CapacityFigures, type RunAtRate } from './capacity';
import { measureOrderThroughput, type ThroughputFigures } from './throughput';
import { writeReport } from './report';

/**
 * `npm run bench`: the platform measured on this machine, every figure beside a baseline measured in
 * the same run (these machines are shared and noisy). Writes bench/results.json and bench/RESULTS.md.
 */
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const mysqlAdminUrl = process.env.TEST_MYSQL_ADMIN_URL ?? 'mysql://root@127.0.0.1:3306/mysql';
const redisUrl = 'redis://127.0.0.1:6379';
const amqpUrl = 'amqp://guest:guest@127.0.0.1:5672';
const say = (line: string) => process.stdout.write(`[bench] ${line}\n`);

/** `npm run bench -- events throughput` runs only those sections (a developer's loop); no argument runs them all. */
const sectionNames = ['gateway', 'edge', 'events', 'throughput'] as const;
type Section = (typeof sectionNames)[number];
const chosen = process.argv.slice(2);
for (const name of chosen) if (!(sectionNames as readonly string[]).includes(name)) throw new Error(`unknown bench section "${name}"; known: ${sectionNames.join(', ')}`);
/** Orders per second of the saga-latency runs (`BENCH_SAGA_RATES=10,50`). */
const sagaRates = (process.env.BENCH_SAGA_RATES ?? '10,25,50,100,200').split(',').map(Number);
/**
 * The capacity search: orders through the edge at each of `BENCH_CAPACITY_RATES` (a second) for
 * `BENCH_STEP_SECONDS` until one misses a limit, then the highest that held again for `BENCH_THROUGHPUT_SECONDS`.
 */
const capacityRates = (process.env.BENCH_CAPACITY_RATES ?? '10,15,20,25,30,35,40,45,50,60').split(',').map(Number);
const capacityStepSeconds = Number(process.env.BENCH_STEP_SECONDS ?? 15);
const throughputSeconds = Number(process.env.BENCH_THROUGHPUT_SECONDS ?? 60);
/** What a rate must keep to hold (issue #13): p99 placed → DELIVERED under 5 s, and the backlog gone within 5 s of the last order. */
const capacityLimits = { p99PlacedToDeliveredMs: 5_000, drainSeconds: 5 };
/** How long the profiled run at the sustained rate places orders. */
const profiledSeconds = 20;
const throughputCustomers = 16;
/** Platform processes to run under --cpu-prof (`BENCH_CPU_PROF=order,picks`); profiles land in bench/profiles/<name>/. */
const profiledProcesses = (process.env.BENCH_CPU_PROF ?? '').split(',').filter(Boolean);
const runs = (section: Section) => chosen.length === 0 || chosen.includes(section);

export const storeQuery = `query StoreWithPicks($id: ID!) {
  store(id: $id) {
    id name city status
    categories { id name slug }
    picks(first: 20) { edges { node { id name price { amountMinor currency } availableQuantity tags } } }
  }
}`;

/**
 * The shape of The Guild's federation benchmark query on X's schema: lists of entities whose fields
 * come from other subgraphs, three levels deep (store → picks → store → store-categories; store → store-categories → store).
 */
export const deepQuery = `query DeepNested {
  stores(first: 10) {
    edges { node {
      id name
      picks(first: 20) { edges { node { id name price { amountMinor currency } store { id name city categories { id name } } } } }
      categories { id name stores(first: 5) { edges { node { id name city } } } }
    } }
  }
}`;

/** The three subgraph calls the plan makes for storeQuery, each sent straight to its subgraph. */
const subgraphCalls = (storeId: string, categoryId: string) => [
  { subgraph: 'store', query: 'query ($id: ID!) { store(id: $id) { __typename id name city status categories { __typename id } } }', variables: { id: storeId } },
  {
    subgraph: 'store-categories',
    query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Category { id name slug } } }',
    variables: { r: [{ __typename: 'Category', id: categoryId }] },
  },
  {
    subgraph: 'picks',
    query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Store { picks(first: 20) { edges { node { id name price { amountMinor currency } availableQuantity tags } } } } } }',
    variables: { r: [{ __typename: 'Store', id: storeId }] },
  },
];

export interface Run extends LoadFigures {
  name: string;
  note?: string;
}

export interface BenchResults {
  startedAt: string;
  finishedAt?: string;
  machine: { cpus: number; model: string; node: string; loadAverageAtStart: number[] };
  /** The code measured: HEAD and the files that differed from it (others work in the same tree). */
  code: { commit: string; uncommitted: string[] };
  settings: { connections: number; seconds: number; nodeEnv: string };
  footprint?: { startToReadyMs: number; rssMiB: number; processes: { pid: number; rssMiB: number }[] };
  gateway: { runs: Run[]; deepRuns: Run[]; subgraphFloor?: { requestsPerSecond: number; p50Ms: number; p99Ms: number }; skipped: string[] };
  edge: { runs: Run[]; skipped: string[] };
  events?: { floor: EventFloor; saga: SagaFigures[] };
  /** The run that confirmed the sustained rate (or the last that completed), its CPU in cores, and the search itself. */
  throughput?: ThroughputFigures & {
    cpu: Record<string, number>;
    capacity: CapacityFigures;
    maxSustainedPerSecond: number;
    cpuMsPerOrder?: number;
    cpuMsPerOrderByProcess?: Record<string, number>;
    /** The CPU of X's processes per delivered order by kind of work (the servers' own as one kind each). */
    cpuMsPerOrderByKind?: Record<string, number>;
  };
  /** Resident memory of the platform's processes (one gateway) after the throughput runs. */
  memory?: { totalMiB: number; processes: Record<string, MemoryBreakdown> };
  profiles: { gateway?: ProfileSummary; edge?: ProfileSummary };
  /** The first error lines each process logged during the run (the logs themselves are deleted). */
  loggedErrors: Record<string, string[]>;
  problems: string[];
}

interface GraphQLAnswer<T> {
  data?: T | null;
  errors?: { message: string }[];
}

async function graphql<T>(url: string, query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as GraphQLAnswer<T>;
  if (body.errors?.length || !body.data) throw new Error(`${query.slice(0, 40)}…: ${body.errors?.map((e) => e.message).join('; ') ?? `HTTP ${response.status}`}`);
  return body.data;
}

async function eventually<T>(attempt: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function postJson<T>(url: string, body: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as T };
}

async function account(authUrl: string, role: 'customer' | 'store_owner' | 'courier'): Promise<string> {
  const email = `bench-${role}-${randomUUID().slice(0, 8)}@example.com`;
  const password = 'bench password 2026';
  const registered = await postJson(`${authUrl}/auth/register`, { email, password, role, displayName: `bench ${role}` });
  if (registered.status !== 201) throw new Error(`register ${role}: ${JSON.stringify(registered.body)}`);
  const login = await postJson<{ accessToken?: string }>(`${authUrl}/auth/login`, { email, password });
  if (!login.body.accessToken) throw new Error(`login ${role}: ${JSON.stringify(login.body)}`);
  return login.body.accessToken;
}

/** A store with one category and 20 picks, created through the gateway as clients do. */
async function seed(platform: RunningPlatform): Promise<{ storeId: string; categoryId: string; pickIds: string[]; customerToken: string; ownerToken: string }> {
  const gql = `${platform.urls.gateway}/graphql`;
  const authUrl = platform.urls.services.auth!;
  const adminLogin = await postJson<{ accessToken?: string }>(`${authUrl}/auth/login`, platform.hqAdmin);
  const admin = adminLogin.body.accessToken;
  if (!admin) throw new Error(`hq_admin login: ${JSON.stringify(adminLogin.body)}`);
  const owner = await account(authUrl, 'store_owner');
  const customerToken = await account(authUrl, 'customer');
  const category = await graphql<{ createCategory: { id: string } }>(gql, 'mutation ($input: CreateCategoryInput!) { createCategory(input: $input) { id } }', { input: { name: 'Bench bakery' } }, admin);
  const everyDay = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'].map((weekday) => ({ weekday, intervals: [{ opens: '00:00', closes: '24:00' }] }));
  const store = await eventually(() =>
    graphql<{ createStore: { id: string } }>(
      gql,
      'mutation ($input: CreateStoreInput!) { createStore(input: $input) { id } }',
      { input: { name: 'Bench Bakery', city: 'Paris', location: { lat: 48.8566, lng: 2.3522 }, categoryIds: [category.createCategory.id], timeZone: 'Europe/Paris', openingHours: everyDay } },
      owner,
    ),
  );
  const storeId = store.createStore.id;
  await graphql(gql, 'mutation ($id: ID!) { approveStore(id: $id) { id } }', { id: storeId }, admin);
  const pickIds: string[] = [];
  for (let i = 0; i < 20; i += 1) {
    const created = await eventually(() =>
      graphql<{ createPick: { id: string } }>(
        gql,
        'mutation ($input: CreatePickInput!) { createPick(input: $input) { id } }',
        { input: { storeId, name: `Bench pick ${String(i).padStart(2, '0')}`, price: { amountMinor: 100 + i, currency: 'EUR' }, stock: 1_000_000, tags: ['bench'] } },
        owner,
      ),
    );
    pickIds.push(created.createPick.id);
  }
  // Picks shows a store's picks to the public once it knows the store is OPEN (an event away).
  await eventually(async () => {
    const answer = await graphql<{ store: { picks: { edges: unknown[] } } | null }>(gql, storeQuery, { id: storeId });
    if (answer.store?.picks.edges.length !== 20) throw new Error(`the store shows ${answer.store?.picks.edges.length ?? 0} picks, not 20`);
  });
  return { storeId, categoryId: category.createCategory.id, pickIds, customerToken, ownerToken: owner };
}

/** The rendered kong.yml with every rate limit raised out of reach: the plugin still runs (a Redis call per request) but refuses nothing. */
function benchEdgeConfig(stateDir: string): string {
  const file = path.join(stateDir, 'kong-bench.yml');
  const rendered = readFileSync(path.join(stateDir, 'kong.yml'), 'utf8')
    .replace(/(\n\s+second:\s*)\d+/g, '$1100000000')
    .replace(/(\n\s+minute:\s*)\d+/g, '$11000000000')
    .replace(/(\n\s+hour:\s*)\d+/g, '$110000000000');
  writeFileSync(file, rendered);
  return file;
}

async function startBenchEdge(options: { name: string; stateDir: string; platform: RunningPlatform; gatewayTargets: string[]; env: Record<string, string>; nodeFlags?: string[] }): Promise<Helper> {
  const port = await freePort();
  const services = Object.fromEntries(Object.entries(options.platform.urls.services).map(([name, url]) => [name, new URL(url).host]));
  return startHelper({
    name: options.name,
    command: process.execPath,
    args: [...(options.nodeFlags ?? []), path.join(repoRoot, 'kong', 'dist', 'edge.js')],
    env: {
      ...options.env,
      EDGE_PORT: String(port),
      EDGE_CONFIG: benchEdgeConfig(options.stateDir),
      EDGE_REDIS_KEY_PREFIX: `${options.env.BENCH_PREFIX}${options.name}:`,
      X_EDGE_REDIS_PASSWORD: '',
      EDGE_UPSTREAMS: JSON.stringify({ ...services, gateway: options.gatewayTargets.join(','), redis: '127.0.0.1:6379' }),
    },
    logDir: path.join(options.stateDir, 'logs'),
    url: `http://127.0.0.1:${port}`,
    readyUrl: `http://127.0.0.1:${port}/__edge/ready`,
  });
}

async function main(): Promise<void> {
  const benchStarted = Date.now();
  const id = randomBytes(3).toString('hex');
  const prefix = `b_${id}_`;
  const exchange = `x.events.bench-${id}`;
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'x-bench-'));
  const nodeEnv = 'production';
  const results: BenchResults = {
    startedAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', node: process.version, loadAverageAtStart: os.loadavg().map((value) => round(value, 2)) },
    code: codeState(),
    settings: { connections, seconds, nodeEnv },
    gateway: { runs: [], deepRuns: [], skipped: [] },
    edge: { runs: [], skipped: [] },
    profiles: {},
    loggedErrors: {},
    problems: [],
  };
  const helpers: Helper[] = [];
  let platform: RunningPlatform | undefined;
  const problem = (what: string, error: unknown) => {
    const line = `${what}: ${error instanceof Error ? error.message : String(error)}`;
    results.problems.push(line);
    say(`PROBLEM ${line}`);
  };

  try {
    // The gateway's per-consumer cost budget would refuse a load test from one address: raise it.
    process.env.GATEWAY_COST_BUDGET_PER_MINUTE = '1000000000';
    const ports: Record<string, number> = {};
    for (const name of [...liveServices().map((s) => s.name), gateway.name, `${gateway.name}-2`, edge.name]) ports[name] = await freePort();
    // Every X process profiles its CPU between two SIGUSR2 (the kit's profileOnSignal) when this is set.
    process.env.X_CPU_PROFILE_DIR = path.join(stateDir, 'cpu-profiles');
    say('starting the platform (two gateway replicas: the second one is used only for the scaling run)');
    const started = performance.now();
    platform = await startPlatform({
      stateDir,
      mysqlAdminUrl,
      redisUrl,
      amqpUrl,
      ports,
      databasePrefix: prefix,
      eventsExchange: exchange,
      nodeEnv,
      gatewayReplicas: 2,
      nodeFlags: Object.fromEntries(profiledProcesses.map((name) => [name, ['--cpu-prof', `--cpu-prof-dir=${path.join(repoRoot, 'bench', 'profiles', name)}`]])),
      report: (line) => say(`  ${line}`),
    });
    const startToReadyMs = Math.round(performance.now() - started);
    const secondGatewayPort = ports[`${gateway.name}-2`];
    const processes = childPids(process.pid).map((pid) => ({ pid, rssMiB: round(rssKiB(pid) / 1024) }));
    say(`platform ready in ${(startToReadyMs / 1000).toFixed(1)} s`);

    const common = { NODE_ENV: nodeEnv, AMQP_URL: amqpUrl, REDIS_URL: redisUrl, EVENTS_EXCHANGE: exchange, AUTH_JWKS_URL: `${platform.urls.services.auth}/auth/.well-known/jwks.json`, BENCH_PREFIX: prefix };
    const { storeId, categoryId, pickIds, customerToken, ownerToken } = await seed(platform);
    say(`seeded store ${storeId} with a category and 20 picks`);

    // Footprint after seeding, without the second gateway replica (npm start runs one).
    const secondGatewayPid = (await pidListening(secondGatewayPort!)) ?? -1;
    const counted = childPids(process.pid)
      .filter((pid) => pid !== secondGatewayPid)
      .map((pid) => ({ pid, rssMiB: round(rssKiB(pid) / 1024) }));
    results.footprint = { startToReadyMs, rssMiB: round(counted.reduce((sum, p) => sum + p.rssMiB, 0)), processes: counted.length ? counted : processes };

    // 1. Gateway overhead.
    if (runs('gateway')) {
      const body = JSON.stringify({ query: storeQuery, variables: { id: storeId }, operationName: 'StoreWithPicks' });
      const deepBody = JSON.stringify({ query: deepQuery, operationName: 'DeepNested' });
      const gatewayRun = async (name: string, target: LoadTarget, note?: string, into: Run[] = results.gateway.runs) => {
        try {
          const check = await fetch(target.url, { method: 'POST', headers: { 'content-type': 'application/json', ...target.headers }, body: target.body ?? body });
          const answer = (await check.json()) as GraphQLAnswer<unknown>;
          if (answer.errors?.length || !answer.data) throw new Error(`answers ${JSON.stringify(answer).slice(0, 300)}`);
          say(`load: ${name}`);
          const figures = await load({ body, ...target }, { connections, seconds });
          into.push({ name, ...figures, ...(note ? { note } : {}) });
          say(`  ${figures.requestsPerSecond} req/s, p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, non-2xx ${figures.non2xx}, errors ${figures.errors}`);
        } catch (error) {
          problem(name, error);
        }
      };

      const floorRuns: LoadFigures[] = [];
      for (const call of subgraphCalls(storeId, categoryId)) {
        const before = results.gateway.runs.length;
        await gatewayRun(`subgraph ${call.subgraph} alone`, { url: `${platform.urls.services[call.subgraph]}/graphql`, body: JSON.stringify({ query: call.query, variables: call.variables }) });
        if (results.gateway.runs.length > before) floorRuns.push(results.gateway.runs.at(-1)!);
      }
      if (floorRuns.length === 3) {
        const [storeRun, categoriesRun, picksRun] = floorRuns as [LoadFigures, LoadFigures, LoadFigures];
        results.gateway.subgraphFloor = {
          // One federated answer spends one call's worth of each subgraph's capacity on the same 2 cores.
          requestsPerSecond: round(1 / floorRuns.reduce((sum, run) => sum + 1 / run.requestsPerSecond, 0)),
          // The plan calls store, then store-categories and picks in parallel.
          p50Ms: storeRun.p50Ms + Math.max(categoriesRun.p50Ms, picksRun.p50Ms),
          p99Ms: storeRun.p99Ms + Math.max(categoriesRun.p99Ms, picksRun.p99Ms),
        };
      }
      await gatewayRun('X gateway', { url: `${platform.urls.gateway}/graphql` });
      await gatewayRun('X gateway', { url: `${platform.urls.gateway}/graphql`, body: deepBody }, undefined, results.gateway.deepRuns);
      let benchEdge: Helper | undefined;
      try {
        benchEdge = await startBenchEdge({ name: 'bench-edge', stateDir, platform, gatewayTargets: [new URL(platform.urls.gateway).host], env: common });
        helpers.push(benchEdge);
        await gatewayRun('X edge + gateway', { url: `${benchEdge.url}/graphql` }, 'rate limits raised out of reach (the plugin still runs)');
        await benchEdge.stop();
        // Where the edge's time goes when it carries the federated answers (the gateway behind it as above).
        results.profiles.edge = await profileUnderLoad(
          'edge',
          (flags) => startBenchEdge({ name: 'bench-edge-profiled', stateDir, platform: platform!, gatewayTargets: [new URL(platform!.urls.gateway).host], env: common, nodeFlags: flags }),
          { body },
          stateDir,
        );
      } catch (error) {
        problem('X edge + gateway (or its profile)', error);
      }
      try {
        const twoGateways = await startBenchEdge({ name: 'bench-edge-2gw', stateDir, platform, gatewayTargets: platform.urls.gatewayReplicas.map((url) => new URL(url).host), env: common });
        helpers.push(twoGateways);
        await gatewayRun('X edge + 2 gateway replicas', { url: `${twoGateways.url}/graphql` }, 'round-robin over two gateway processes on the same 2 cores');
        await twoGateways.stop();
      } catch (error) {
        problem('X edge + 2 gateway replicas', error);
      }

      // Peer: Hive Gateway on the same supergraph, subgraph URLs pointed at this platform.
      const hive = binary('hive-gateway');
      if (!hive) results.gateway.skipped.push('Hive Gateway: @graphql-hive/gateway is not installed');
      else {
        const supergraph = readFileSync(path.join(repoRoot, 'supergraph', 'supergraph.graphql'), 'utf8').replace(/@join__graph\(name: "([^"]+)", url: "[^"]+"\)/g, (_match, name: string) => {
          const url = platform!.urls.services[name];
          return `@join__graph(name: "${name}", url: "${url ?? 'http://127.0.0.1:1'}/graphql")`;
        });
        const supergraphFile = path.join(stateDir, 'supergraph.graphql');
        writeFileSync(supergraphFile, supergraph);
        for (const variant of [
          { name: 'Hive Gateway', flags: [] as string[] },
          { name: 'Hive Gateway + Rust planner (router-runtime)', flags: ['--hive-router-runtime'] },
        ]) {
          try {
            const port = await freePort();
            const helper = await startHelper({
              name: variant.name.replace(/\W+/g, '-').toLowerCase(),
              command: hive,
              args: ['supergraph', supergraphFile, '--host', '127.0.0.1', '--port', String(port), ...variant.flags],
              env: { NODE_ENV: 'production' },
              logDir: path.join(stateDir, 'logs'),
              url: `http://127.0.0.1:${port}`,
              readyUrl: `http://127.0.0.1:${port}/healthcheck`,
              timeoutMs: 60_000,
            });
            helpers.push(helper);
            await gatewayRun(variant.name, { url: `${helper.url}/graphql` });
            await gatewayRun(variant.name, { url: `${helper.url}/graphql`, body: deepBody }, undefined, results.gateway.deepRuns);
            await helper.stop();
          } catch (error) {
            results.gateway.skipped.push(`${variant.name}: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
      }

      // Where the gateway's time goes: a separate gateway process under --cpu-prof, the same load.
      try {
        results.profiles.gateway = await profileUnderLoad(
          'gateway',
          async (flags) => {
            const port = await freePort();
            return startHelper({
              name: 'gateway-profiled',
              command: process.execPath,
              args: [...gatewayNodeFlags, ...flags, path.join(repoRoot, 'supergraph', 'dist', 'gateway.js')],
              env: {
                ...common,
                PORT: String(port),
                GATEWAY_REDIS_KEY_PREFIX: `${prefix}x:gateway:`,
                ...Object.fromEntries(Object.entries(platform!.urls.services).map(([name, url]) => [`SUBGRAPH_URL_${name.toUpperCase().replace(/-/g, '_')}`, `${url}/graphql`])),
              },
              logDir: path.join(stateDir, 'logs'),
              url: `http://127.0.0.1:${port}`,
              readyUrl: `http://127.0.0.1:${port}/ready`,
            });
          },
          { body },
          stateDir,
        );
      } catch (error) {
        problem('gateway profile', error);
      }

    }

    // 2. Edge cost: one small authenticated request straight to a tiny upstream, through nginx, through X's edge.
    if (runs('edge')) try {
      const echo = await startEcho(path.join(stateDir, 'logs'));
      helpers.push(echo);
      const small = { body: '{"query":"{ __typename }"}', headers: { authorization: `Bearer ${customerToken}` } };
      const edgeRun = async (name: string, url: string, note?: string) => {
        try {
          const check = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...small.headers }, body: small.body });
          const text = await check.text();
          if (!check.ok || text !== echoBody) throw new Error(`answers ${check.status} ${text.slice(0, 200)}`);
          say(`load: ${name}`);
          const figures = await load({ url, ...small }, { connections, seconds });
          results.edge.runs.push({ name, ...figures, ...(note ? { note } : {}) });
          say(`  ${figures.requestsPerSecond} req/s, p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, non-2xx ${figures.non2xx}`);
        } catch (error) {
          problem(name, error);
        }
      };
      await edgeRun('upstream alone (node:http)', `${echo.url}/graphql`);
      const nginx = await startNginx(Number(new URL(echo.url).port), stateDir, path.join(stateDir, 'logs'));
      if (typeof nginx === 'string') results.edge.skipped.push(nginx);
      else {
        helpers.push(nginx);
        await edgeRun('nginx (keep-alive proxy, 1 worker)', `${nginx.url}/graphql`, 'Debian nginx, access log on, 1 worker like the single-process edge');
        await nginx.stop('SIGQUIT');
      }
      const xEdge = await startBenchEdge({ name: 'bench-edge-echo', stateDir, platform, gatewayTargets: [new URL(echo.url).host], env: common });
      helpers.push(xEdge);
      await edgeRun('X edge (JWT + rate limiting)', `${xEdge.url}/graphql`, 'kong.yml as rendered, limits raised out of reach; JWT verified, Redis rate-limit counters, file-log');
      await xEdge.stop();
    } catch (error) {
      problem('edge cost', error);
    }

    // 3. Event latency.
    if (runs('events')) try {
      say('event floor: raw amqplib round trips and MariaDB commits');
      const floor = await measureEventFloor({ amqpUrl, mysqlAdminUrl, samples: 300 });
      const saga: SagaFigures[] = [];
      for (const rate of sagaRates) {
        say(`saga step at ${rate} orders/s`);
        const { result, cpu } = await cpuShares(platformPids(platform), () =>
          measureSaga({ amqpUrl, exchange, gatewayUrl: platform!.urls.gateway, customerToken, storeId, pickIds, ratePerSecond: rate, seconds: rate === 10 ? 20 : 10 }),
        );
        saga.push({ ...result, cpu });
        say(`  placed→confirmed p50 ${result.placedToConfirmed.p50Ms} ms, p99 ${result.placedToConfirmed.p99Ms} ms (${result.ordersConfirmed}/${result.ordersPlaced} confirmed, ${result.placeOrderErrors} errors)`);
        say(`  CPU (cores): ${Object.entries(cpu).sort(([, a], [, b]) => b - a).map(([name, share]) => `${name} ${share}`).join(', ')}`);
      }
      results.events = { floor, saga };
    } catch (error) {
      problem('event latency', error);
    }

    // 4. Capacity: the highest order rate the platform sustains through the edge, each order driven to DELIVERED.
    if (runs('throughput')) {
      try {
        const edgeForOrders = await startBenchEdge({ name: 'bench-edge-orders', stateDir, platform, gatewayTargets: [new URL(platform.urls.gateway).host], env: common });
        helpers.push(edgeForOrders);
        const authUrl = platform.urls.services.auth!;
        const customerTokens = await Promise.all(Array.from({ length: throughputCustomers }, () => account(authUrl, 'customer')));
        const courierTokens = await Promise.all(Array.from({ length: 4 }, () => account(authUrl, 'courier')));
        const databases = Object.fromEntries(
          liveServices()
            .filter((s) => s.backing.includes('mysql') && platform!.urls.services[s.name])
            .map((s) => [s.name, `${prefix}${s.database}`]),
        );
        // The edge the orders go through is the bench's own (limits raised): it is counted in place of the platform's idle one.
        const pids = { ...platformPids(platform), [edge.name]: edgeForOrders.child.pid! };
        const runAt: RunAtRate = async (rate, secondsAtRate) => {
          const { result, cpuSeconds } = await cpuSecondsDuring(pids, () =>
            measureOrderThroughput({
              edgeUrl: edgeForOrders.url,
              amqpUrl,
              exchange,
              mysqlAdminUrl,
              databases,
              consumers: Object.keys(platform!.urls.services),
              customerTokens,
              ownerToken,
              courierTokens,
              storeId,
              pickIds,
              ratePerSecond: rate,
              seconds: secondsAtRate,
              drainTimeoutSeconds: 120,
            }),
          );
          return { ratePerSecond: rate, seconds: secondsAtRate, figures: result, cpuSeconds };
        };
        say(`capacity: orders through the edge at ${capacityRates.join(', ')} orders/s for ${capacityStepSeconds} s each until one misses, then the highest that held for ${throughputSeconds} s`);
        const capacity = await findCapacity(runAt, { rates: capacityRates, stepSeconds: capacityStepSeconds, confirmSeconds: throughputSeconds, limits: capacityLimits, say });
        const shown = capacity.confirmed?.figures ? capacity.confirmed : capacity.steps.findLast((step) => step.figures);
        if (!shown?.figures) throw new Error(`no run completed: ${capacity.steps.map((step) => step.missed).join('; ')}`);
        const wall = shown.figures.placingSeconds + shown.figures.drainSeconds;
        results.throughput = {
          ...shown.figures,
          cpu: Object.fromEntries(Object.entries(shown.cpuSeconds).map(([name, used]) => [name, round(used / wall, 2)])),
          capacity,
          maxSustainedPerSecond: capacity.maxSustainedPerSecond,
          ...(capacity.cpuMsPerOrder === undefined ? {} : { cpuMsPerOrder: capacity.cpuMsPerOrder, cpuMsPerOrderByProcess: capacity.cpuMsPerOrderByProcess }),
        };
        say(`  sustained ${capacity.maxSustainedPerSecond} orders/s; CPU per delivered order ${capacity.cpuMsPerOrder ?? '–'} ms (${Object.entries(capacity.cpuMsPerOrderByProcess ?? {}).sort(([, a], [, b]) => b - a).map(([name, ms]) => `${name} ${ms}`).join(', ')})`);

        // Where that CPU goes by kind of work: every X process profiled (SIGUSR2, see the kit's profileOnSignal) over a run at the sustained rate.
        const rate = capacity.maxSustainedPerSecond || capacityRates[0]!;
        try {
          results.throughput.cpuMsPerOrderByKind = await profileKindsOfWork(pids, rate, runAt, capacity.cpuMsPerOrderByProcess ?? {});
        } catch (error) {
          problem('profile of the order path', error);
        }

        results.memory = await memoryAfterLoad(platform);
        say(`  resident memory after the runs: ${results.memory.totalMiB} MiB in ${Object.keys(results.memory.processes).length} processes`);
        await edgeForOrders.stop();
      } catch (error) {
        problem('order throughput', error);
      }
    }
  } catch (error) {
    problem('bench', error);
  } finally {
    for (const helper of helpers.reverse()) await helper.stop().catch(() => undefined);
    if (platform) await platform.stop().catch((error: unknown) => problem('stopping the platform', error));
    await dropDatabasesAndUsers(prefix).catch((error: unknown) => problem('dropping bench databases', error));
    deleteBrokerTopology(exchange);
    results.loggedErrors = loggedErrors(path.join(stateDir, 'logs'));
    if (process.env.BENCH_KEEP_STATE) say(`logs kept in ${path.join(stateDir, 'logs')}`);
    else rmSync(stateDir, { recursive: true, force: true });
  }

  results.finishedAt = new Date().toISOString();
  const outDir = path.join(repoRoot, 'bench');
  mkdirSync(outDir, { recursive: true });
  // A partial run must not overwrite the committed full results.
  const stem = chosen.length ? `partial-${chosen.join('-')}` : '';
  writeFileSync(path.join(outDir, stem ? `results.${stem}.json` : 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(outDir, stem ? `RESULTS.${stem}.md` : 'RESULTS.md'), writeReport(results));
  say(`done in ${((Date.now() - benchStarted) / 1000).toFixed(0)} s: bench/${stem ? `RESULTS.${stem}.md` : "RESULTS.md"}`);
}

const servers = new Set(['MariaDB', 'RabbitMQ', 'Redis']);

/**
 * CPU per delivered order by kind of work: each X process profiled over a run at `rate` (a profile
 * costs a little CPU, so the per-process figures come from the unprofiled run), its share of each kind
 * applied to its CPU per order; MariaDB's, RabbitMQ's and Redis's CPU are kinds of their own.
 */
async function profileKindsOfWork(pids: Record<string, number>, rate: number, runAt: RunAtRate, msPerOrderByProcess: Record<string, number>): Promise<Record<string, number>> {
  const dir = process.env.X_CPU_PROFILE_DIR!;
  const profiled = Object.entries(pids).filter(([name]) => !servers.has(name));
  say(`profiling every X process over ${profiledSeconds} s at ${rate} orders/s`);
  for (const [, pid] of profiled) process.kill(pid, 'SIGUSR2');
  try {
    await runAt(rate, profiledSeconds);
  } finally {
    for (const [, pid] of profiled) process.kill(pid, 'SIGUSR2');
  }
  const byKind: Record<string, number> = {};
  for (const [name] of profiled) {
    const file = path.join(dir, `${name}.cpuprofile`);
    const deadline = Date.now() + 30_000;
    while (!existsSync(file) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    if (!existsSync(file)) throw new Error(`${name} wrote no profile`);
    const summary = summarizeProfileFile(file);
    for (const { kind, percent } of summary.work) byKind[kind] = (byKind[kind] ?? 0) + ((msPerOrderByProcess[name] ?? 0) * percent) / 100;
  }
  for (const name of servers) if (msPerOrderByProcess[name] !== undefined) byKind[`${name} (the server itself)`] = msPerOrderByProcess[name]!;
  return Object.fromEntries(Object.entries(byKind).map(([kind, ms]) => [kind, round(ms, 1)] as const).sort(([, a], [, b]) => b - a));
}

/** Each platform process's resident memory and where it goes (one gateway, as npm start runs). */
async function memoryAfterLoad(platform: RunningPlatform): Promise<{ totalMiB: number; processes: Record<string, MemoryBreakdown> }> {
  const processes: Record<string, MemoryBreakdown> = {};
  for (const [name, pid] of Object.entries(platformPids(platform))) {
    if (servers.has(name)) continue;
    const base = name === gateway.name ? platform.urls.gateway : platform.urls.services[name];
    processes[name] = await memoryBreakdown(pid, base ? `${base}/metrics` : undefined);
  }
  return { totalMiB: round(Object.values(processes).reduce((sum, p) => sum + p.rssMiB, 0)), processes };
}

/**
 * Starts a process under --cpu-prof, loads it like the measured runs, stops it, and summarizes the
 * samples taken under load (start-up and warm-up left out). The profile is kept in bench/profiles/.
 */
async function profileUnderLoad(name: string, start: (nodeFlags: string[]) => Promise<Helper>, target: Omit<LoadTarget, 'url'>, stateDir: string): Promise<ProfileSummary> {
  const dir = path.join(stateDir, `profile-${name}`);
  mkdirSync(dir, { recursive: true });
  const spawned = performance.now();
  const helper = await start(['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  say(`profiling ${name} (--cpu-prof)`);
  const loadStarted = performance.now();
  try {
    await load({ ...target, url: `${helper.url}/graphql` }, { connections, seconds: Math.min(seconds, 8) });
  } finally {
    await helper.stop();
  }
  // The profile starts after the spawn, so this skips at least start-up and the 1 s warm-up.
  const summary = summarizeProfile(dir, loadStarted - spawned + 1_000);
  if (!summary) throw new Error(`${name} wrote no .cpuprofile`);
  const kept = path.join(repoRoot, 'bench', 'profiles', `${name}.cpuprofile`);
  mkdirSync(path.dirname(kept), { recursive: true });
  writeFileSync(kept, readFileSync(summary.file));
  return { ...summary, file: path.relative(path.join(repoRoot, 'bench'), kept) };
}

/** Up to three error/fatal lines per log file, shortened. */
function loggedErrors(logDir: string): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  let files: string[] = [];
  try {
    files = readdirSync(logDir).filter((name) => name.endsWith('.log'));
  } catch {
    return found;
  }
  for (const file of files) {
    const lines = readFileSync(path.join(logDir, file), 'utf8')
      .split('\n')
      .filter((line) => /"level":"(error|fatal)"/.test(line));
    if (lines.length) found[file.replace(/\.log$/, '')] = [`${lines.length} error lines; first: ${lines[0]!.slice(0, 400)}`, ...lines.slice(1, 3).map((line) => line.slice(0, 400))];
  }
  return found;
}

function codeState(): { commit: string; uncommitted: string[] } {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    const uncommitted = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: repoRoot, encoding: 'utf8' })
      .split('\n')
      .map((line) => line.slice(3).trim())
      .filter((file) => file && !file.startsWith('bench/'));
    return { commit, uncommitted };
  } catch {
    return { commit: 'unknown', uncommitted: [] };
  }
}

/** The platform's processes and the servers it stands on, by name, for CPU shares. */
function platformPids(platform: RunningPlatform): Record<string, number> {
  const pids: Record<string, number> = {};
  for (const name of [...Object.keys(platform.urls.services), gateway.name, edge.name]) {
    const pid = platform.pidOf(name);
    if (pid) pids[name] = pid;
  }
  for (const [name, command] of [['MariaDB', 'mariadbd'], ['RabbitMQ', 'beam.smp'], ['Redis', 'redis-server']] as const) {
    try {
      pids[name] = Number(execFileSync('pgrep', ['-o', '-x', command], { encoding: 'utf8' }).trim());
    } catch {
      // not running on this machine (a remote server): not counted
    }
  }
  return pids;
}

/** The pid of the process listening on a local TCP port (from /proc/net/tcp and the fds in /proc). */
async function pidListening(port: number): Promise<number | undefined> {
  try {
    const out = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
    const match = /pid=(\d+)/.exec(out);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function dropDatabasesAndUsers(prefix: string): Promise<void> {
  const connection = await createConnection({ ...parseMysqlUrl(mysqlAdminUrl), database: undefined });
  try {
    const databases = await connection.query<{ name: string }[]>('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?', [`${prefix}%`]);
    for (const { name } of databases) await connection.query(`DROP DATABASE \`${name}\``);
    const users = await connection.query<{ user: string; host: string }[]>('SELECT User AS user, Host AS host FROM mysql.user WHERE User LIKE ?', [`${prefix}%`]);
    for (const { user, host } of users) await connection.query('DROP USER ?@?', [user, host]);
  } finally {
    await connection.end();
  }
}

function deleteBrokerTopology(exchange: string): void {
  try {
    const queues = execFileSync('rabbitmqctl', ['-q', 'list_queues', 'name'], { encoding: 'utf8', timeout: 20_000 })
      .split('\n')
      .map((line) => line.trim())
      .filter((name) => name.startsWith(`${exchange}.`));
    for (const queue of queues) execFileSync('rabbitmqctl', ['-q', 'delete_queue', queue], { timeout: 20_000 });
  } catch {
    // Leftover queues are harmless: their names are unique to this run.
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
