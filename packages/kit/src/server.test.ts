import { parse } from 'graphql';
import { createLogger } from './logger';
import { createMetrics } from './metrics';
import { createTokenVerifier } from './principal';
import { startServiceServer, type ServiceServer } from './server';

/** What a saturated pool or a database that went away throws from deep inside Prisma or the driver. */
const transactionSlotTimeout = Object.assign(new Error('Transaction API error: Unable to start a transaction in the given time.'), { code: 'P2028' });
const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });

let server: ServiceServer;
let signalListeners: { before: number; after: number };

beforeAll(async () => {
  // Apollo installs its own SIGTERM handler unless NODE_ENV is test: start as a deployed service would.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  const before = process.listenerCount('SIGTERM') + process.listenerCount('SIGINT');
  server = await startServiceServer({
    name: 'errors-test',
    host: '127.0.0.1',
    port: 0,
    production: true,
    log: createLogger('errors-test', 'silent'),
    metrics: createMetrics('errors-test'),
    verifyToken: createTokenVerifier({ jwksUrl: 'http://unused.invalid', issuer: 'x-auth', audience: 'x-platform' }, async () => {
      throw new Error('no keys in this test');
    }),
    readiness: {},
    subgraph: {
      typeDefs: parse('type Query { saturated: String, broken: String }'),
      resolvers: {
        Query: {
          saturated: () => {
            throw transactionSlotTimeout;
          },
          broken: () => {
            throw new Error('SELECT secret FROM somewhere failed');
          },
        },
      },
      context: (base) => base,
    },
    rest: (app) => {
      app.get('/saturated', async () => {
        throw refused;
      });
    },
  });
  signalListeners = { before, after: process.listenerCount('SIGTERM') + process.listenerCount('SIGINT') };
  process.env.NODE_ENV = nodeEnv;
});

afterAll(() => server.close());

async function graphql(query: string): Promise<{ errors?: { message: string; extensions?: Record<string, unknown> }[] }> {
  const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  return (await response.json()) as { errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

describe('shutdown', () => {
  it('leaves SIGTERM and SIGINT to the service lifecycle (Apollo re-sending them would force an immediate exit)', () => {
    expect(signalListeners.after).toBe(signalListeners.before);
  });
});

describe('error mapping', () => {
  it('tells the client to retry when a dependency is down or saturated, not "internal error"', async () => {
    const answer = await graphql('{ saturated }');
    expect(answer.errors?.[0]).toMatchObject({ message: 'temporarily unavailable, retry shortly', extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 1 } });
  });

  it('masks any other failure as an internal error without its details', async () => {
    const answer = await graphql('{ broken }');
    expect(answer.errors?.[0]).toMatchObject({ message: 'internal error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(JSON.stringify(answer)).not.toContain('secret');
  });

  it('answers a REST request that meets an unreachable dependency with 503, Retry-After and a JSON body', async () => {
    const response = await fetch(`${server.url}/saturated`);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await response.json()).toEqual({ error: { code: 'SERVICE_UNAVAILABLE', message: 'temporarily unavailable, retry shortly', details: { retryAfterSeconds: 1 } } });
  });
});
