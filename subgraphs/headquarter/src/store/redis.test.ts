import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { connectRedis, createLogger } from '@x/kit';
import { startTcpProxy, type TcpProxy } from '../../../../test/support/tcp-proxy';
import { KpiStore } from './kpis';

/** headquarter's Redis client against the real Redis behind a proxy that partitions it away. */
let proxy: TcpProxy;
let redis: Redis;
let kpis: KpiStore;

beforeAll(async () => {
  proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
  redis = await connectRedis(`redis://${proxy.address}`, { log: createLogger('headquarter-test', 'silent') });
  kpis = new KpiStore(redis, { prefix: `hq-redis-test-${randomUUID().slice(0, 8)}:`, guardTtlSeconds: 60 });
});

afterAll(async () => {
  redis.disconnect();
  await proxy.close();
});

/** The outcome, or 'still waiting' after `ms`: a hang shows as a failed expectation, not a test timeout. */
function within<T>(work: Promise<T>, ms: number): Promise<T | 'still waiting'> {
  return Promise.race([work, new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), ms).unref())]);
}

// The consumer retries an event on this error rather than parking it: kit's dependency-failures.test.ts.
it('fails KPI reads and writes after the command timeout while Redis does not answer, instead of waiting on it', async () => {
  expect(await kpis.ordersByStatus()).toEqual(expect.any(Array));
  proxy.partition();
  try {
    const read = await within(kpis.ordersByStatus().then(() => 'answered', (error: unknown) => error), 5_000);
    const write = await within(
      kpis.apply(randomUUID(), { kind: 'courierBusy', deliveryId: randomUUID(), courierId: randomUUID() }).then(() => 'answered', (error: unknown) => error),
      5_000,
    );
    expect(String(read)).toMatch(/Command timed out/);
    expect(String(write)).toMatch(/Command timed out/);
  } finally {
    proxy.restore();
  }
  expect(await kpis.ordersByStatus()).toEqual(expect.any(Array));
});
