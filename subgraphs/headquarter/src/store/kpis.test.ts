import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { KpiEffect } from '../domain/kpis';
import { KpiStore } from './kpis';

const prefix = `hq-test-${randomUUID().slice(0, 8)}:`;
let redis: Redis;
let kpis: KpiStore;

beforeAll(async () => {
  redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  kpis = new KpiStore(redis, { prefix, guardTtlSeconds: 600 });
});

afterAll(async () => {
  await kpis.clear();
  await redis.quit();
});

const storeId = randomUUID();
const reached = (orderId: string, status: 'PENDING' | 'CONFIRMED' | 'DELIVERED', totalMinor = 1000): KpiEffect => ({
  kind: 'orderReached',
  orderId,
  storeId,
  status,
  ...(status === 'DELIVERED' ? { delivered: { day: '2026-11-20', currency: 'EUR', totalMinor, deliveryMs: 600_000 } } : {}),
});

describe('the per-event guard', () => {
  it('applies an event once, refuses its id afterwards, and lets the guard expire', async () => {
    const eventId = randomUUID();
    expect(await kpis.apply(eventId, reached(randomUUID(), 'PENDING'))).toBe(true);
    expect(await kpis.apply(eventId, reached(randomUUID(), 'PENDING'))).toBe(false);
    const ttl = await redis.ttl(`${prefix}applied:${eventId}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600);
    expect((await kpis.ordersByStatus()).find((row) => row.status === 'PENDING')?.count).toBe(1);
  });
});

describe('effects idempotent per entity', () => {
  it('counts a delivered order once even under two event ids (a guard that expired)', async () => {
    const orderId = randomUUID();
    await kpis.apply(randomUUID(), reached(orderId, 'DELIVERED', 900));
    await kpis.apply(randomUUID(), reached(orderId, 'DELIVERED', 900));
    expect(await kpis.revenueByStore('2026-11-20')).toEqual([{ storeId, currency: 'EUR', amountMinor: 900, orders: 1 }]);
  });

  it('ignores an earlier status that arrives after a later one', async () => {
    const orderId = randomUUID();
    const before = await kpis.ordersByStatus();
    await kpis.apply(randomUUID(), reached(orderId, 'CONFIRMED'));
    await kpis.apply(randomUUID(), reached(orderId, 'PENDING'));
    const after = await kpis.ordersByStatus();
    const delta = after.map((row, index) => [row.status, row.count - before[index]!.count]).filter(([, change]) => change !== 0);
    expect(delta).toEqual([['CONFIRMED', 1]]);
  });

  it('does not revive a delivery whose claim arrives after it ended', async () => {
    const deliveryId = randomUUID();
    const courierId = randomUUID();
    const active = await kpis.activeCouriers();
    await kpis.apply(randomUUID(), { kind: 'deliveryEnded', deliveryId });
    await kpis.apply(randomUUID(), { kind: 'courierBusy', deliveryId, courierId });
    expect(await kpis.activeCouriers()).toBe(active);
  });

  it('frees a courier only when the last of their deliveries ends', async () => {
    const courierId = randomUUID();
    const [first, second] = [randomUUID(), randomUUID()];
    const active = await kpis.activeCouriers();
    await kpis.apply(randomUUID(), { kind: 'courierBusy', deliveryId: first, courierId });
    await kpis.apply(randomUUID(), { kind: 'courierBusy', deliveryId: second, courierId });
    expect(await kpis.activeCouriers()).toBe(active + 1);
    await kpis.apply(randomUUID(), { kind: 'deliveryEnded', deliveryId: first });
    expect(await kpis.activeCouriers()).toBe(active + 1);
    await kpis.apply(randomUUID(), { kind: 'deliveryEnded', deliveryId: second });
    expect(await kpis.activeCouriers()).toBe(active);
  });
});

describe('clear', () => {
  it('deletes only the keys under its own prefix', async () => {
    const neighbour = `${prefix.slice(0, -1)}-other:kept`;
    await redis.set(neighbour, '1');
    try {
      const other = new KpiStore(redis, { prefix: `hq-test-${randomUUID().slice(0, 8)}:`, guardTtlSeconds: 60 });
      await other.apply(randomUUID(), reached(randomUUID(), 'PENDING'));
      expect(await other.clear()).toBeGreaterThan(0);
      expect(await redis.exists(neighbour)).toBe(1);
      expect((await kpis.ordersByStatus()).some((row) => row.count > 0)).toBe(true);
    } finally {
      await redis.del(neighbour);
    }
  });
});
