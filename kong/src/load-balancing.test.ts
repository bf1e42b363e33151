import type { RunningEdge } from './edge';
import { call, recordingLog, start, startStub, until, type Stub } from './test-support';

/**
 * Job 4, load balancing: kong.yml's gateway-upstream over two gateway replicas (one compose name with
 * two addresses, as DNS gives Kong), round-robin, passive and active health checks.
 */

describe('gateway-upstream of kong.yml over two replicas', () => {
  let first: Stub;
  let second: Stub;
  let edge: RunningEdge;
  const { log, messages } = recordingLog();

  beforeAll(async () => {
    [first, second] = await Promise.all([startStub('gateway-1'), startStub('gateway-2')]);
    edge = await start({ upstreamOverrides: { gateway: `${first.address},${second.address}` }, log });
  });

  afterAll(async () => {
    await edge.close();
    await Promise.all([first.close(), second.close()]);
  });

  // A query string of its own each time: the same GET twice would be answered by the proxy cache.
  let queries = 0;
  const query = () => call(edge, `/graphql?query=%7B__typename%7D&n=${(queries += 1)}`);
  const post = () => call(edge, '/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });

  it('spreads requests round-robin over both replicas', async () => {
    const served = [];
    for (let i = 0; i < 4; i += 1) served.push((await query()).json().service);
    expect([...served].sort()).toEqual(['gateway-1', 'gateway-1', 'gateway-2', 'gateway-2']);
    expect(served[0]).not.toBe(served[1]);
  });

  it('takes a dead replica out without failing a request, and puts it back once it answers again', async () => {
    const port = Number(second.address.split(':')[1]);
    await second.close();
    first.seen.length = 0;

    // The request that finds it dead is retried on the other replica (its body too), and passive checks take it out.
    const answers = [await post(), await query(), await post(), await query()];
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    expect(answers.map((answer) => answer.json().service)).toEqual(['gateway-1', 'gateway-1', 'gateway-1', 'gateway-1']);
    expect(first.seen.map((seen) => seen.body.toString())).toContain('{"query":"{ __typename }"}');
    expect(messages).toContain('target unhealthy: taken out of the balancer');

    // Active checks probe it every second (unhealthy.interval) and put it back after one good answer.
    second = await startStub('gateway-2', { port });
    await until(() => messages.includes('target healthy again: back in the balancer'), 5_000);
    const served = [];
    for (let i = 0; i < 2; i += 1) served.push((await query()).json().service);
    expect(served.sort()).toEqual(['gateway-1', 'gateway-2']);
  });

  it('answers 503 JSON when no replica can take the request', async () => {
    const ports = [first, second].map((stub) => Number(stub.address.split(':')[1]));
    await Promise.all([first.close(), second.close()]);
    try {
      const statuses = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await query()).status);
      expect(statuses.at(-1)).toBe(503);
      const answer = await query();
      expect(answer.json()).toEqual({ error: { code: 'SERVICE_UNAVAILABLE', message: 'no target of gateway can take requests' } });
    } finally {
      [first, second] = await Promise.all(ports.map((port, index) => startStub(`gateway-${index + 1}`, { port })));
    }
  });
});
