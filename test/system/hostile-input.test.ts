import { request as httpRequest } from 'node:http';
import { serverAudits } from 'graphql-http';
import { startTestPlatform, type TestPlatform } from '../support/platform';

/**
 * Malformed and hostile requests to every route of :9090, generated from a seeded PRNG
 * (FUZZ_SEED=<n> replays a run; FUZZ_COUNT=<n> changes its size): no 5xx, no hang, no crash, every
 * answer a JSON error body. Then the GraphQL-over-HTTP audit of graphql-http, every MUST passing.
 */
let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform();
}, 120_000);

afterAll(async () => {
  await platform?.teardown();
}, 60_000);

const seed = Number(process.env.FUZZ_SEED ?? 0x5eed);
const count = Number(process.env.FUZZ_COUNT ?? 2400);

/** mulberry32: small, fast and the same on every machine. */
function prng(start: number) {
  let state = start >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number) => Math.floor(next() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}
type Random = ReturnType<typeof prng>;

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  kind: string;
}

const contentTypes = ['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/graphql', 'application/xml', ''];

const strangeValues = (random: Random): unknown[] => [
  null,
  true,
  -1,
  1e308,
  Number.MAX_SAFE_INTEGER,
  '',
  ' ',
  'x'.repeat(random.pick([300, 5_000, 70_000])),
  '\u0000\u202e\ud83d\ude00',
  [],
  [1, 'two', null],
  {},
  { $gt: '' },
  { __proto__: { polluted: true } },
  "'; DROP TABLE accounts; --",
  '../../../../etc/passwd',
  '{{7*7}}',
];

function randomJsonValue(random: Random, depth = 0): unknown {
  if (depth > 3 || random.next() < 0.4) return random.pick(strangeValues(random));
  if (random.next() < 0.5) return Array.from({ length: random.int(4) }, () => randomJsonValue(random, depth + 1));
  const keys = ['query', 'variables', 'operationName', 'extensions', 'email', 'password', 'refreshToken', 'role', 'displayName', 'input', 'unknownField', '__proto__', 'constructor'];
  return Object.fromEntries(Array.from({ length: random.int(5) }, () => [random.pick(keys), randomJsonValue(random, depth + 1)]));
}

const brokenJson = ['{', '{"query":', '{"query": "{ __typename }",}', "{'query': 1}", 'NaN', '[', '{"a":1}{"b":2}', '\u0000', '{"query": "\\uZZZZ"}', `${'['.repeat(5_000)}${']'.repeat(5_000)}`, '{"email":"a@b.c","password":'];
const brokenQueries = ['{', '{ me { id }', 'query { __typename } query { __typename }', 'mutation { }', 'subscription { x }', '{ stores(first: "ten") { edges { node { id } } } }', '{ order(id: 1) { id } }', '{ nope }', '{ __typename @skip }', `{ ${'a: __typename '.repeat(40)}}`, 'fragment F on Query { ...F } { ...F }', '{ me { ... on Query { id } } }', `{ ${'categories { children { '.repeat(20)}id${' } }'.repeat(20)} }`];

/** Invalid UTF-8: lone continuation bytes, overlong encodings, truncated sequences. */
const invalidUtf8 = (random: Random) => Buffer.concat([Buffer.from('{"query":"{ __typename }","email":"'), Buffer.from(random.pick([[0xff, 0xfe], [0xc0, 0xaf], [0xe2, 0x82], [0x80, 0x80, 0x80], [0xed, 0xa0, 0x80]])), Buffer.from('"}')]);

function generate(random: Random, index: number): FuzzRequest {
  const routes: { method: string; path: string }[] = [
    { method: 'POST', path: '/graphql' },
    { method: 'GET', path: '/graphql' },
    { method: 'POST', path: '/auth/register' },
    { method: 'POST', path: '/auth/login' },
    { method: 'POST', path: '/auth/refresh' },
    { method: 'POST', path: '/auth/logout' },
    { method: 'DELETE', path: '/auth/me' },
    { method: 'GET', path: '/user/me' },
    { method: 'PATCH', path: '/user/me' },
  ];
  const route = routes[index % routes.length]!;
  const headers: Record<string, string> = {};
  // A bad Authorization header stops a request at the edge (401): most requests carry none, so their bodies reach the services.
  if (random.next() < 0.25) headers.authorization = random.pick(['Bearer ', 'Bearer x.y.z', 'Basic Zm9vOmJhcg==', `Bearer ${'a'.repeat(9_000)}`, 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.']);
  const kind = random.pick(['broken-json', 'wrong-types', 'huge', 'invalid-utf8', 'unknown-fields', 'content-type', 'broken-query', 'query-string']);
  let body: Buffer | undefined;
  let path = route.path;
  let contentType = 'application/json';
  switch (kind) {
    case 'broken-json':
      body = Buffer.from(random.pick(brokenJson));
      break;
    case 'wrong-types':
      body = Buffer.from(JSON.stringify(random.pick([randomJsonValue(random), { query: randomJsonValue(random), variables: randomJsonValue(random) }, { email: randomJsonValue(random), password: randomJsonValue(random) }])));
      break;
    case 'huge':
      body = Buffer.from(JSON.stringify({ query: `{ __typename ${'#'.repeat(random.pick([100_000, 600_000, 1_200_000]))} }`, email: 'x'.repeat(random.pick([1_000, 100_000])) }));
      break;
    case 'invalid-utf8':
      body = invalidUtf8(random);
      break;
    case 'unknown-fields':
      // Never a well-formed login: a valid e-mail and password would count as a failed login against this address.
      body = Buffer.from(JSON.stringify({ query: '{ __typename }', email: 'not-an-email', password: 1, role: random.pick(['hq_admin', 'root', 'HQ_ADMIN']), isAdmin: true, [`x${random.int(1_000)}`]: randomJsonValue(random) }));
      break;
    case 'content-type':
      contentType = random.pick(contentTypes);
      body = Buffer.from(random.pick(['query={__typename}', '{"query":"{ __typename }"}', '<xml/>', '--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{}\r\n--x--']));
      break;
    case 'broken-query':
      body = Buffer.from(JSON.stringify({ query: random.pick(brokenQueries), variables: random.pick([undefined, {}, [], 'x', { id: { $ne: null } }]) }));
      break;
    default: {
      const query = encodeURIComponent(random.pick([...brokenQueries, 'mutation { grantRole(userId: "x", role: HQ_ADMIN) { id } }']));
      path = `${route.path}?query=${query}&variables=${random.pick(['%7B', 'null', '%5B%5D', '%ZZ', 'x'.repeat(3_000)])}&extensions=${random.pick(['', '%7B%22persistedQuery%22%3A1%7D'])}`;
      body = route.method === 'GET' ? undefined : Buffer.from('');
    }
  }
  if (route.method === 'GET') body = undefined;
  if (contentType) headers['content-type'] = contentType;
  return { method: route.method, path, headers, body, kind };
}

/** One request from its own loopback address (127.0.0.x): the edge's per-address rate limits count each client apart. */
function send(edgeUrl: string, fuzz: FuzzRequest, localAddress: string): Promise<{ status: number; body: string; contentType: string }> {
  const url = new URL(edgeUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method: fuzz.method, path: fuzz.path, headers: { ...fuzz.headers, ...(fuzz.body ? { 'content-length': String(fuzz.body.length) } : {}) }, localAddress, timeout: 15_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), contentType: String(response.headers['content-type'] ?? '') }));
      response.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within 15 s: ${fuzz.method} ${fuzz.path.slice(0, 80)} (${fuzz.kind})`)));
    req.on('error', reject);
    req.end(fuzz.body);
  });
}

describe('hostile input at :9090', () => {
  it(`answers ${count} generated malformed requests (seed ${seed}) on every route with a JSON error and never a 5xx, and every process stays ready`, async () => {
    const random = prng(seed);
    const requests = Array.from({ length: count }, (_, index) => generate(random, index));
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    let next = 0;
    const worker = async (lane: number) => {
      while (next < requests.length) {
        const index = next++;
        const fuzz = requests[index]!;
        const from = `127.0.${1 + (index % 5)}.${2 + ((index * 7 + lane) % 250)}`;
        try {
          const answer = await send(platform.urls.edge, fuzz, from);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          const describe = `#${index} ${fuzz.method} ${fuzz.path.slice(0, 60)} (${fuzz.kind}) → ${answer.status} ${answer.body.slice(0, 160)}`;
          if (answer.status >= 500) failures.push(describe);
          else if (answer.status >= 400) {
            let parsed: unknown;
            try {
              parsed = JSON.parse(answer.body);
            } catch {
              failures.push(`not JSON: ${describe}`);
              continue;
            }
            const keys = typeof parsed === 'object' && parsed !== null ? Object.keys(parsed) : [];
            if (!keys.some((key) => key === 'error' || key === 'errors' || key === 'message')) failures.push(`no error in body: ${describe}`);
          }
        } catch (error) {
          failures.push(`#${index} ${fuzz.method} ${fuzz.path.slice(0, 60)} (${fuzz.kind}): ${(error as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, lane) => worker(lane)));
    console.log(`fuzz seed ${seed}: ${count} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}, failures ${failures.length}`);
    expect(failures.slice(0, 20)).toEqual([]);

    const readiness = await Promise.all(
      [...Object.entries(platform.urls.services).map(([name, url]) => [name, `${url}/ready`]), ...platform.urls.gatewayReplicas.map((url, i) => [`gateway-${i + 1}`, `${url}/ready`]), ['edge', `${platform.urls.edge}/__edge/ready`]].map(async ([name, url]) => [name, (await fetch(url!)).status] as const),
    );
    expect(readiness.filter(([, status]) => status !== 200)).toEqual([]);
  }, 240_000);
});

describe('GraphQL over HTTP (graphql-http audit) at :9090/graphql', () => {
  it('passes every MUST of the audit', async () => {
    const audits = serverAudits({ url: () => `${platform.urls.edge}/graphql` });
    const failed: string[] = [];
    const warned: string[] = [];
    for (const audit of audits) {
      const result = await audit.fn();
      if (result.status === 'error') failed.push(`${audit.name}: ${result.reason}`);
      if (result.status === 'warn') warned.push(`${audit.name}: ${result.reason}`);
    }
    console.log(`graphql-http audit: ${audits.length} audits, ${audits.filter((a) => a.name.startsWith('MUST')).length} MUST, failed ${failed.length}, warnings ${warned.length}\n${warned.join('\n')}`);
    expect(failed).toEqual([]);
  }, 60_000);
});
