import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { Breaker } from '@x/kit';
import { Redis } from 'ioredis';
import { startTcpProxy, type TcpProxy } from '../../test/support/tcp-proxy';
import { CounterStore, RedisConnections } from './counters';
import { recordingLog } from './test-support';

/**
 * The rate-limiting counters against the real Redis behind a proxy that partitions it away, through the
 * edge's own Redis client (RedisConnections), and a breaker on a clock the test moves.
 */
const prefix = `edge-counters-test-${randomUUID().slice(0, 8)}:`;
const clockMs = Date.UTC(2031, 4, 6, 12, 0, 10);

let proxy: TcpProxy;
let connections: RedisConnections;
let proxied: Redis;
let direct: Redis;

beforeAll(async () => {
  proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
  connections = new RedisConnections();
  proxied = connections.get({ address: proxy.address, database: 0, timeoutMs: 300 });
  if (proxied.status !== 'ready') await once(proxied, 'ready');
  direct = new Redis({ lazyConnect: true });
  await direct.connect();
});

afterAll(async () => {
  proxy.restore();
  const keys = await direct.keys(`${prefix}*`);
  if (keys.length) await direct.del(...keys);
  await connections.close();
  direct.disconnect();
  await proxy.close();
});

describe('CounterStore with Redis partitioned away', () => {
  it('counts in the edge without calling Redis during the cool-down after a timeout, then tries Redis once and hands it what it counted', async () => {
    let breakerClock = 0;
    const { log, messages } = recordingLog();
    // No sync on a timer during the test: the test calls sync() itself.
    const store = new CounterStore({ redis: proxied, syncRateSeconds: 3_600, timeoutMs: 300, log, now: () => clockMs, redisBreaker: new Breaker({ coolDownMs: 1_000, now: () => breakerClock }) });
    const commands = jest.spyOn(proxied, 'sendCommand');
    const sent = () => commands.mock.calls.length;
    const key = (name: string) => `${prefix}${name}`;
    try {
      await direct.set(key('shared'), '5');
      expect(await store.usage(key('shared'), 60, clockMs + 60_000)).toBe(5);
      const perRead = sent();
      expect(perRead).toBeGreaterThan(0);

      proxy.partition();
      expect(await store.usage(key('timed-out'), 60, clockMs + 60_000)).toBe(0);
      expect(sent()).toBe(2 * perRead);
      expect(store.unavailable).toBe(true);

      breakerClock += 999;
      expect(await store.usage(key('during'), 60, clockMs + 60_000)).toBe(0);
      store.increment(key('during'));
      store.increment(key('during'));
      await store.sync();
      expect(await store.usage(key('during'), 60, clockMs + 60_000)).toBe(2);
      expect(sent()).toBe(2 * perRead);
      expect(store.unavailable).toBe(true);
      expect(messages.filter((message) => message.includes('Redis unavailable'))).toHaveLength(1);

      // The cool-down is over: one read tries Redis, and it is still away.
      breakerClock += 1;
      expect(await store.usage(key('probe'), 60, clockMs + 60_000)).toBe(0);
      expect(sent()).toBe(3 * perRead);

      proxy.restore();
      breakerClock += 1_000;
      await store.sync();
      expect(await direct.get(key('during'))).toBe('2');
      expect(store.unavailable).toBe(false);
      expect(messages.filter((message) => message.includes('Redis reachable again'))).toHaveLength(1);
    } finally {
      commands.mockRestore();
      store.close();
    }
  });
});
