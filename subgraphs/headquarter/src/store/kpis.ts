import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { averageMinutes, minutesOf, orderStatuses, p90Index, statusRank, type KpiEffect, type OrderStatus } from '../domain/kpis';

export interface KpiStoreOptions {
  /** Every key starts with it, so tests and several deployments can share one Redis. */
  prefix: string;
  /** How long the per-event guard outlives the event (see apply). */
  guardTtlSeconds: number;
}

export interface StoreRevenue {
  storeId: string;
  currency: string;
  amountMinor: number;
  orders: number;
}

export interface DeliveryTimes {
  averageMinutes: number | null;
  p90Minutes: number | null;
}

export interface StoreStats {
  storeId: string;
  /** Orders of the store headquarters has seen, whatever their status. */
  orders: number;
  deliveredOrders: number;
  revenue: { currency: string; amountMinor: number }[];
  averageDeliveryMinutes: number | null;
}

/** A Lua script run by its SHA, loaded on first use (and again after a Redis restart forgot it). */
class Script {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

// Every script starts with the per-event guard: SET NX fails when this event's effect is already in,
// and the script's writes happen all or none (Redis runs a script atomically).
const guard = `if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end`;

const luaRanks = `{${Object.entries(statusRank)
  .map(([status, rank]) => `${status}=${rank}`)
  .join(',')}}`;

/**
 * KEYS: guard, order→status, status→count, the store's stats [, revenue of the day, delivered orders
 * of the day, delivery times (zset), delivery totals]. ARGV: ttl, order id, status [, store|currency,
 * currency, total, delivery ms]. An order only moves forward (statusRank); the delivered facts count
 * in the one call that moves it to DELIVERED, so they count once per order.
 */
const orderReached = new Script(`${guard}
local rank = ${luaRanks}
local held = redis.call('HGET', KEYS[2], ARGV[2])
if held then
  if rank[ARGV[3]] <= rank[held] then return 1 end
  redis.call('HINCRBY', KEYS[3], held, -1)
else
  redis.call('HINCRBY', KEYS[4], 'orders', 1)
end
redis.call('HINCRBY', KEYS[3], ARGV[3], 1)
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
if ARGV[3] == 'DELIVERED' and #KEYS == 8 then
  redis.call('HINCRBY', KEYS[4], 'delivered', 1)
  redis.call('HINCRBY', KEYS[4], 'deliveryMs', ARGV[7])
  redis.call('HINCRBY', KEYS[4], 'revenue:' .. ARGV[5], ARGV[6])
  redis.call('HINCRBY', KEYS[5], ARGV[4], ARGV[6])
  redis.call('HINCRBY', KEYS[6], ARGV[4], 1)
  redis.call('ZADD', KEYS[7], ARGV[7], ARGV[2])
  redis.call('HINCRBY', KEYS[8], 'count', 1)
  redis.call('HINCRBY', KEYS[8], 'ms', ARGV[7])
end
return 1`);

/**
 * KEYS: guard, delivery→state, courier→active deliveries. ARGV: ttl, delivery id, courier id. A
 * delivery seen for the first time makes its courier busy; one already busy or ended stays as it is
 * (a claim that arrives after the delivery ended must not revive it).
 */
const courierBusy = new Script(`${guard}
if redis.call('HSETNX', KEYS[2], ARGV[2], 'busy:' .. ARGV[3]) == 1 then
  redis.call('HINCRBY', KEYS[3], ARGV[3], 1)
end
return 1`);

/** KEYS and ARGV as courierBusy, without the courier: the delivery ends, its courier is free of it. */
const deliveryEnded = new Script(`${guard}
local held = redis.call('HGET', KEYS[2], ARGV[2])
if held == 'ended' then return 1 end
if held then
  local courier = string.sub(held, 6)
  if redis.call('HINCRBY', KEYS[3], courier, -1) <= 0 then redis.call('HDEL', KEYS[3], courier) end
end
redis.call('HSET', KEYS[2], ARGV[2], 'ended')
return 1`);

/** Live KPIs in Redis. Every change goes through apply, once per event. */
export class KpiStore {
  constructor(
    private readonly redis: Redis,
    private readonly options: KpiStoreOptions,
  ) {}

  private get prefix(): string {
    return this.options.prefix;
  }

  private readonly key = {
    applied: (eventId: string) => `${this.prefix}applied:${eventId}`,
    orderStatus: () => `${this.prefix}orders:status`,
    ordersByStatus: () => `${this.prefix}orders:by-status`,
    store: (storeId: string) => `${this.prefix}store:${storeId}`,
    revenue: (day: string) => `${this.prefix}revenue:${day}`,
    revenueOrders: (day: string) => `${this.prefix}revenue-orders:${day}`,
    deliveryTimes: () => `${this.prefix}deliveries:times`,
    deliveryTotals: () => `${this.prefix}deliveries:totals`,
    deliveryState: () => `${this.prefix}deliveries:state`,
    activeCouriers: () => `${this.prefix}couriers:active`,
  };

  /**
   * Applies one event's effect at most once: the guard key `<prefix>applied:<event id>` is set in the
   * same atomic script as the effect. Returns false when the guard was already there.
   *
   * The guard only has to outlive the window in which the event can come back without its inbox row
   * committed (retries, a dead letter replayed); once the row commits the inbox refuses it. And every
   * effect is idempotent per entity besides (an order only moves forward, a delivery ends once), so a
   * guard that expired still cannot double-count.
   */
  async apply(eventId: string, effect: KpiEffect): Promise<boolean> {
    const ttl = this.options.guardTtlSeconds;
    const guardKey = this.key.applied(eventId);
    let outcome: unknown;
    switch (effect.kind) {
      case 'orderReached': {
        const keys = [guardKey, this.key.orderStatus(), this.key.ordersByStatus(), this.key.store(effect.storeId)];
        const args: (string | number)[] = [ttl, effect.orderId, effect.status];
        const { delivered } = effect;
        if (delivered) {
          keys.push(this.key.revenue(delivered.day), this.key.revenueOrders(delivered.day), this.key.deliveryTimes(), this.key.deliveryTotals());
          args.push(revenueField(effect.storeId, delivered.currency), delivered.currency, delivered.totalMinor, delivered.deliveryMs);
        }
        outcome = await orderReached.run(this.redis, keys, args);
        break;
      }
      case 'courierBusy':
        outcome = await courierBusy.run(this.redis, [guardKey, this.key.deliveryState(), this.key.activeCouriers()], [ttl, effect.deliveryId, effect.courierId]);
        break;
      case 'deliveryEnded':
        outcome = await deliveryEnded.run(this.redis, [guardKey, this.key.deliveryState(), this.key.activeCouriers()], [ttl, effect.deliveryId]);
        break;
    }
    return outcome === 1;
  }

  async ordersByStatus(): Promise<{ status: OrderStatus; count: number }[]> {
    const counts = await this.redis.hgetall(this.key.ordersByStatus());
    return orderStatuses.map((status) => ({ status, count: Number(counts[status] ?? 0) }));
  }

  /** Revenue of delivered orders on one UTC day, per store and currency, largest first. */
  async revenueByStore(day: string): Promise<StoreRevenue[]> {
    const [amounts, orders] = await Promise.all([this.redis.hgetall(this.key.revenue(day)), this.redis.hgetall(this.key.revenueOrders(day))]);
    return Object.entries(amounts)
      .map(([field, amount]) => {
        const [storeId = '', currency = ''] = field.split('|');
        return { storeId, currency, amountMinor: Number(amount), orders: Number(orders[field] ?? 0) };
      })
      .sort((a, b) => b.amountMinor - a.amountMinor || a.storeId.localeCompare(b.storeId) || a.currency.localeCompare(b.currency));
  }

  async deliveryTimes(): Promise<DeliveryTimes> {
    const [count, totalMs] = await this.redis.hmget(this.key.deliveryTotals(), 'count', 'ms');
    const index = p90Index(await this.redis.zcard(this.key.deliveryTimes()));
    const p90 = index === null ? [] : await this.redis.zrange(this.key.deliveryTimes(), String(index), String(index), 'WITHSCORES');
    return { averageMinutes: averageMinutes(Number(totalMs ?? 0), Number(count ?? 0)), p90Minutes: p90[1] === undefined ? null : minutesOf(Number(p90[1])) };
  }

  /** Couriers with a delivery claimed and not yet delivered (or cancelled). */
  activeCouriers(): Promise<number> {
    return this.redis.hlen(this.key.activeCouriers());
  }

  /** One round trip for any number of stores. */
  async storeStats(storeIds: readonly string[]): Promise<StoreStats[]> {
    const pipeline = this.redis.pipeline();
    for (const storeId of storeIds) pipeline.hgetall(this.key.store(storeId));
    const replies = (await pipeline.exec()) ?? [];
    return storeIds.map((storeId, index) => {
      const [error, reply] = replies[index] ?? [new Error('no reply'), null];
      if (error) throw error;
      return storeStatsOf(storeId, (reply ?? {}) as Record<string, string>);
    });
  }

  /** Deletes every key under the prefix (guards included): the start of a rebuild. Returns how many. */
  async clear(): Promise<number> {
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 1000);
      if (keys.length > 0) deleted += await this.redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
    return deleted;
  }
}

const revenueField = (storeId: string, currency: string) => `${storeId}|${currency}`;

function storeStatsOf(storeId: string, hash: Record<string, string>): StoreStats {
  const delivered = Number(hash.delivered ?? 0);
  const revenue = Object.entries(hash)
    .filter(([field]) => field.startsWith('revenue:'))
    .map(([field, amount]) => ({ currency: field.slice('revenue:'.length), amountMinor: Number(amount) }))
    .sort((a, b) => a.currency.localeCompare(b.currency));
  return { storeId, orders: Number(hash.orders ?? 0), deliveredOrders: delivered, revenue, averageDeliveryMinutes: averageMinutes(Number(hash.deliveryMs ?? 0), delivered) };
}
