import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestPlatform, type TestPlatform } from '../support/platform';

/**
 * One trace for one order: with OTLP export on, placing an order through :9090 yields spans from the
 * gateway, the order subgraph, the outbox publish of order.order.placed, picks consuming it and
 * publishing picks.stock.reserved, and order consuming that and publishing order.order.confirmed —
 * every hop of that saga step under the trace id of the client's request.
 */
interface ReceivedSpan {
  traceId: string;
  name: string;
  attributes?: { key: string; value: { stringValue?: string } }[];
}

const spans: ReceivedSpan[] = [];
let receiver: Server;
let platform: TestPlatform;

beforeAll(async () => {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceSpans: { resource?: { attributes?: ReceivedSpan['attributes'] }; scopeSpans: { spans: ReceivedSpan[] }[] }[] };
      for (const resource of body.resourceSpans) {
        const service = resource.resource?.attributes?.find((attribute) => attribute.key === 'service.name')?.value.stringValue;
        for (const scope of resource.scopeSpans) for (const span of scope.spans) spans.push({ ...span, name: `${service}: ${span.name}` });
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  // Every process of the platform inherits the endpoint and exports its spans here.
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  platform = await startTestPlatform();
}, 120_000);

afterAll(async () => {
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  await platform?.teardown();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
}, 60_000);

async function post<T>(path: string, body: unknown, token?: string, headers: Record<string, string> = {}): Promise<T> {
  const response = await fetch(`${platform.urls.edge}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify(body),
  });
  return (await response.json()) as T;
}

async function gql<T>(query: string, variables: Record<string, unknown>, token: string, headers: Record<string, string> = {}): Promise<T> {
  const answer = await post<{ data?: T; errors?: { message: string }[] }>('/graphql', { query, variables }, token, headers);
  if (answer.errors?.length || !answer.data) throw new Error(answer.errors?.map((e) => e.message).join('; ') ?? 'no data');
  return answer.data;
}

async function eventually<T>(work: () => Promise<T>, accept: (value: T) => boolean = () => true, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await work();
      if (accept(value)) return value;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function account(role: string): Promise<string> {
  const email = `${role}-${randomUUID().slice(0, 8)}@example.com`;
  await post('/auth/register', { email, password: 'correct horse battery', role });
  return (await post<{ accessToken: string }>('/auth/login', { email, password: 'correct horse battery' })).accessToken;
}

it('places an order whose saga step, through every service and the broker, is one trace', async () => {
  const admin = (await post<{ accessToken: string }>('/auth/login', platform.hqAdmin)).accessToken;
  const owner = await account('store_owner');
  const customer = await account('customer');
  const category = await gql<{ createCategory: { id: string } }>('mutation ($input: CreateCategoryInput!) { createCategory(input: $input) { id } }', { input: { name: `Trace ${randomUUID().slice(0, 6)}` } }, admin);
  const everyDay = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'].map((weekday) => ({ weekday, intervals: [{ opens: '00:00', closes: '24:00' }] }));
  const { createStore } = await eventually(() =>
    gql<{ createStore: { id: string } }>(
      'mutation ($input: CreateStoreInput!) { createStore(input: $input) { id } }',
      { input: { name: 'Traced store', city: 'Berlin', location: { lat: 52.52, lng: 13.4 }, categoryIds: [category.createCategory.id], timeZone: 'Europe/Berlin', openingHours: everyDay } },
      owner,
    ),
  );
  await gql('mutation ($id: ID!) { approveStore(id: $id) { id } }', { id: createStore.id }, admin);
  const { createPick } = await eventually(() =>
    gql<{ createPick: { id: string } }>('mutation ($input: CreatePickInput!) { createPick(input: $input) { id } }', { input: { storeId: createStore.id, name: 'Pretzel', price: { amountMinor: 90, currency: 'EUR' }, stock: 5 } }, owner),
  );

  const traceId = randomUUID().replace(/-/g, '');
  const traceparent = `00-${traceId}-${randomUUID().replace(/-/g, '').slice(0, 16)}-01`;
  const { placeOrder } = await gql<{ placeOrder: { id: string } }>(
    'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
    { input: { storeId: createStore.id, lines: [{ pickId: createPick.id, quantity: 1 }], deliveryAddress: { recipient: 'T', lines: ['1 Str'], city: 'Berlin', postalCode: '10115', country: 'DE' }, idempotencyKey: `trace-${traceId}` } },
    customer,
    { traceparent },
  );
  await eventually(() => gql<{ order: { status: string } }>('query ($id: ID!) { order(id: $id) { status } }', { id: placeOrder.id }, customer), (answer) => answer.order.status === 'CONFIRMED');

  const hops = [
    'gateway: POST /graphql',
    'gateway: POST order',
    'order: POST /graphql',
    'order: order.order.placed publish',
    'picks: order.order.placed process',
    'picks: picks.stock.reserved publish',
    'order: picks.stock.reserved process',
    'order: order.order.confirmed publish',
  ];
  // Exporters send in batches: wait until every hop of this trace has arrived.
  const traced = await eventually(
    async () => spans.filter((span) => span.traceId === traceId).map((span) => span.name),
    (names) => hops.every((hop) => names.includes(hop)),
  ).catch(() => spans.filter((span) => span.traceId === traceId).map((span) => span.name));
  expect(hops.filter((hop) => !traced.includes(hop))).toEqual([]);
}, 180_000);
