import { randomUUID } from 'node:crypto';
import { Breaker, createLogger } from '@x/kit';
import { Redis } from 'ioredis';
import { startTcpProxy, type TcpProxy } from '../../test/support/tcp-proxy';
import { CostBudgets } from './policies';

/**
 * Cost budgets against the real Redis behind a proxy that partitions it away, through a client with the
 * gateway's own settings (gateway.ts), and a breaker on a clock the test moves.
 */
const prefix = `x-gateway-budget-test-${randomUUID().slice(0, 8)}:`;
const clockMs = Date.UTC(2031, 4, 6, 12, 0, 10);

let proxy: TcpProxy;
let proxied: Redis;
let direct: Redis;

beforeAll(async () => {
  proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
  proxied = new Redis(`redis://${proxy.address}`, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 500 });
  proxied.on('error', () => {});
  await proxied.connect();
  direct = new Redis({ lazyConnect: true });
  await direct.connect();
});

afterAll(async () => {
  proxy.restore();
  const keys = await direct.keys(`${prefix}*`);
  if (keys.length) await direct.del(...keys);
  proxied.disconnect();
  direct.disconnect();
  await proxy.close();
});

/** What the budgets log, message by message. */
function recordedLog() {
  const messages: string[] = [];
  const log = createLogger('gateway-test', 'info', { write: (line: string) => void messages.push((JSON.parse(line) as { msg: string }).msg) });
  return { log, messages };
}

describe('CostBudgets with Redis partitioned away', () => {
  it('counts per replica without calling Redis during the cool-down after a timeout, then tries Redis once and counts there again', async () => {
    let breakerClock = 0;
    const { log, messages } = recordedLog();
    const budgets = new CostBudgets({ perMinute: 100, redis: proxied, keyPrefix: prefix, log, now: () => clockMs, redisBreaker: new Breaker({ coolDownMs: 1_000, now: () => breakerClock }) });
    const commands = jest.spyOn(proxied, 'sendCommand');
    const sent = () => commands.mock.calls.length;
    const key = `${prefix}user:u1:${Math.floor(clockMs / 60_000)}`;

    expect(await budgets.spend('user:u1', 30)).toMatchObject({ allowed: true, used: 30 });
    const perSpend = sent();
    expect(perSpend).toBeGreaterThan(0);
    expect(await direct.get(key)).toBe('30');

    proxy.partition();
    expect(await budgets.spend('user:u1', 30)).toMatchObject({ allowed: true, used: 30 });
    expect(sent()).toBe(2 * perSpend);
    breakerClock += 999;
    // The per-replica count holds the limit without Redis.
    expect(await budgets.spend('user:u1', 40)).toMatchObject({ allowed: true, used: 70 });
    expect(await budgets.spend('user:u1', 40)).toMatchObject({ allowed: false, used: 110 });
    expect(sent()).toBe(2 * perSpend);
    expect(messages.filter((message) => message.includes('Redis unavailable'))).toHaveLength(1);

    breakerClock += 1;
    expect(await budgets.spend('user:u2', 10)).toMatchObject({ allowed: true, used: 10 });
    expect(sent()).toBe(3 * perSpend);

    proxy.restore();
    breakerClock += 1_000;
    const spentInRedis = await budgets.spend('user:u3', 10);
    expect(sent()).toBe(4 * perSpend);
    expect(spentInRedis).toMatchObject({ allowed: true, used: 10 });
    expect(await direct.get(`${prefix}user:u3:${Math.floor(clockMs / 60_000)}`)).toBe('10');
    expect(messages.filter((message) => message.includes('Redis reachable again'))).toHaveLength(1);
    commands.mockRestore();
  });
});
