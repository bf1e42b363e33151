import type { RunningEdge } from '../edge';
import { call, start, startStub, type Stub } from '../test-support';

/** Job 2, protocol translation: what upstreams say about themselves never reaches clients. */

describe('response-transformer of kong.yml', () => {
  let gateway: Stub;
  let edge: RunningEdge;

  beforeAll(async () => {
    gateway = await startStub('gateway', {
      handler: (_request, response) => {
        response.setHeader('content-type', 'application/json');
        response.setHeader('x-powered-by', 'Express');
        response.setHeader('server', 'internal-gateway/1.2');
        response.setHeader('via', '1.1 internal-proxy');
        response.end('{"data":{}}');
      },
    });
    edge = await start({ upstreamOverrides: { 'gateway-upstream': gateway.address } });
  });

  afterAll(async () => {
    await edge.close();
    await gateway.close();
  });

  it('strips x-powered-by, server and via, and adds x-content-type-options', async () => {
    const response = await call(edge, '/graphql?query=%7B__typename%7D');
    expect(response.status).toBe(200);
    expect(response.headers['x-powered-by']).toBeUndefined();
    expect(response.headers.server).toBeUndefined();
    expect(response.headers.via).toBeUndefined();
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.text).toBe('{"data":{}}');
  });
});
