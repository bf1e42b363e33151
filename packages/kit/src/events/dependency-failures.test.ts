import { Redis } from 'ioredis';
import { startTcpProxy } from '../../../../test/support/tcp-proxy';
import { isDependencyUnavailable } from './dependency-failures';

describe('isDependencyUnavailable', () => {
  it('recognises a database, Redis or network outage, also as the cause of another error', () => {
    expect(isDependencyUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isDependencyUnavailable(Object.assign(new Error("Can't reach database server"), { code: 'P1001' }))).toBe(true);
    expect(isDependencyUnavailable(new Error('Connection is closed.'))).toBe(true);
    expect(isDependencyUnavailable(new Error('handler failed', { cause: Object.assign(new Error('pool timeout: failed to retrieve a connection'), { code: 'ER_GET_CONNECTION_TIMEOUT' }) }))).toBe(true);
  });

  it('recognises what ioredis without an offline queue throws while Redis is away or does not answer', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
    const redis = new Redis(`redis://${proxy.address}`, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 200 });
    redis.on('error', () => {});
    try {
      await redis.connect();
      const failureOf = (work: Promise<unknown>) => work.then(() => new Error('Redis answered'), (error: unknown) => error);
      proxy.partition();
      const timedOut = await failureOf(redis.get('x'));
      proxy.cut('refuse');
      while (redis.status === 'ready') await new Promise((resolve) => setTimeout(resolve, 20));
      const offline = await failureOf(redis.get('x'));
      expect([String(timedOut), String(offline)]).toEqual([expect.stringMatching(/timed out/), expect.stringMatching(/writeable/)]);
      expect(isDependencyUnavailable(timedOut)).toBe(true);
      expect(isDependencyUnavailable(offline)).toBe(true);
    } finally {
      redis.disconnect();
      await proxy.close();
    }
  });

  it('treats everything else as a failure of the event itself', () => {
    expect(isDependencyUnavailable(new Error('cannot accept an order that is CANCELLED'))).toBe(false);
    expect(isDependencyUnavailable(Object.assign(new Error('Unique constraint failed'), { code: 'P2002' }))).toBe(false);
    expect(isDependencyUnavailable(undefined)).toBe(false);
  });
});
