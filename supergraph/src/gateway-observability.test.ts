import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, createMetrics, startServiceServer, startTracing, unauthenticated, type ServiceServer, type Tracing } from '@x/kit';
import { parse } from 'graphql';
import { startSubgraphHarness, type SubgraphHarness } from '../../test/support/subgraph-harness';
import { composeSupergraph } from './composition';
import { buildGateway } from './gateway-server';

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
}

const catalogSdl = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Query { shops: [Shop!]! }
  type Shop @key(fields: "id") { id: ID! name: String! }
`;
const spans: ReceivedSpan[] = [];
const metrics = createMetrics('gateway-observability-test');
let receiver: Server;
let tracing: Tracing | undefined;
let catalog: SubgraphHarness;
let gateway: ServiceServer;
let closeGateway: () => Promise<void>;

beforeAll(async () => {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceSpans: { scopeSpans: { spans: ReceivedSpan[] }[] }[] };
      for (const resource of body.resourceSpans) for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  tracing = startTracing('gateway-observability-test', { endpoint: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`, batch: false });

  catalog = await startSubgraphHarness({
    name: 'catalog',
    typeDefs: parse(catalogSdl),
    resolvers: { Query: { shops: () => [{ id: 's1', name: 'Bakery' }] } },
    context: (base) => base,
  });
  const composed = composeSupergraph([{ name: 'catalog', url: catalog.url, sdl: catalogSdl }]);
  if (!composed.ok) throw new Error(composed.errors.join('\n'));
  const log = createLogger('gateway-observability-test', 'silent');
  const verifyToken = async () => {
    throw unauthenticated('no tokens in this test');
  };
  const built = buildGateway({
    supergraphSdl: composed.supergraphSdl,
    production: false,
    log,
    verifyToken,
    limits: { maxDepth: 6, maxAliases: 4, maxCost: 500 },
    costBudgetPerMinute: 1_000,
    publicMaxAgeSeconds: 0,
    persistedQueryTtlSeconds: 600,
    queryPlanStoreMiB: 5,
    metrics,
  });
  gateway = await startServiceServer({ name: 'gateway', host: '127.0.0.1', port: 0, production: false, log, metrics, verifyToken, readiness: {}, gateway: built.options });
  closeGateway = async () => {
    await gateway.close();
    await built.close();
  };
});

afterAll(async () => {
  await closeGateway();
  await catalog.close();
  await tracing?.shutdown();
  await new Promise((resolve) => receiver.close(resolve));
});

describe('the gateway, observed', () => {
  const callerTraceId = '5b8efff798038103d269b633813fc60c';

  beforeAll(async () => {
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${callerTraceId}-eee19b7ec3c1b174-01` },
      body: JSON.stringify({ query: 'query Shops { shops { id name } }', operationName: 'Shops' }),
    });
    expect(await response.json()).toEqual({ data: { shops: [{ id: 's1', name: 'Bakery' }] } });
  });

  it('traces the request, its subgraph fetch and the subgraph\'s own handling in one trace, each the parent of the next', async () => {
    const fetchSpan = await eventually(() => spans.find((span) => span.name === 'POST catalog'));
    const atGateway = await eventually(() => spans.find((span) => span.parentSpanId === 'eee19b7ec3c1b174'));
    const atSubgraph = await eventually(() => spans.find((span) => span.parentSpanId === fetchSpan.spanId));
    expect(atGateway).toMatchObject({ traceId: callerTraceId, name: 'POST /graphql', kind: 2 });
    expect(fetchSpan).toMatchObject({ traceId: callerTraceId, parentSpanId: atGateway?.spanId, kind: 3 });
    expect(atSubgraph).toMatchObject({ traceId: callerTraceId, name: 'POST /graphql', kind: 2 });
  });

  it('observes the subgraph fetch latency per subgraph and the operation latency at the gateway', async () => {
    const fetches = (await metrics.subgraphFetchDuration.get()).values.find(
      (value) => value.metricName === 'gateway_subgraph_fetch_duration_seconds_count' && value.labels.subgraph === 'catalog' && value.labels.outcome === 'ok',
    );
    expect(fetches?.value).toBe(1);
    const operations = (await metrics.graphqlDuration.get()).values.find(
      (value) => value.metricName === 'graphql_operation_duration_seconds_count' && value.labels.operation === 'Shops' && value.labels.outcome === 'ok',
    );
    expect(operations?.value).toBe(1);
  });
});

async function eventually<T>(find: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`not found within ${timeoutMs} ms; spans: ${spans.map((span) => span.name).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
