import { randomUUID } from 'node:crypto';
import { connect, type Channel } from 'amqplib';
import { createConnection } from 'mariadb';
import { consumerQueueName, parseMysqlUrl } from '@x/kit';
import { describe, type Distribution } from './events';
import { round } from './load';

/** What every role's app does through the edge: a GraphQL mutation with its bearer token. */
interface Caller {
  edgeUrl: string;
  token: string;
}

export interface ThroughputFigures {
  placingSeconds: number;
  /** Orders placed per second, spread over the customers (an open loop: the rate does not wait for the platform). */
  targetPerSecond: number;
  customers: number;
  ordersPlaced: number;
  ordersDelivered: number;
  /** Placed but neither delivered nor rejected when the run gave up waiting: must be 0. */
  ordersLost: number;
  ordersRejected: number;
  /** DELIVERED orders counted in order's database at the end (must equal ordersDelivered). */
  deliveredInDatabase: number;
  /** Orders placed per second while placing (below the target when placeOrder answers slowly). */
  placedPerSecond: number;
  /** Orders delivered per second, from the first placement to the last delivery. */
  deliveredPerSecond: number;
  /** After placing stopped, until the last order was DELIVERED. */
  drainSeconds: number;
  /** placeOrder sent → order.order.delivered seen (every step in between driven by the apps). */
  placedToDelivered: Distribution;
  /** Requests through the edge by all roles, and those answered with an error the client retried. */
  requests: number;
  retriedErrors: Record<string, number>;
  /** Highest unsent outbox rows and oldest unsent age per service, sampled every second. */
  outboxPeak: Record<string, { rows: number; oldestSeconds: number }>;
  /** Highest ready + unacked messages per consumer queue, sampled every second. */
  queuePeak: Record<string, number>;
}

class RetryableError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/**
 * Sustained orders through the edge until every one is DELIVERED. Customers place orders at a steady
 * rate (an open loop, so a slow platform builds a backlog instead of slowing the load); the store
 * owner's and couriers' apps react to the events a tap queue sees (confirmed → accept and mark ready;
 * delivery requested → claim, pick up, deliver), as push notifications would drive them. Clients retry
 * what the platform says is retryable (SERVICE_UNAVAILABLE, TOO_MANY_REQUESTS, a dropped connection)
 * with the same idempotency key; anything else stops the run.
 */
export async function measureOrderThroughput(options: {
  edgeUrl: string;
  amqpUrl: string;
  exchange: string;
  mysqlAdminUrl: string;
  /** Database name of each MySQL service, for outbox sampling and the final count. */
  databases: Record<string, string>;
  /** Services whose consumer queues to sample (those without a queue are skipped). */
  consumers: string[];
  customerTokens: string[];
  ownerToken: string;
  courierTokens: string[];
  storeId: string;
  pickIds: string[];
  ratePerSecond: number;
  seconds: number;
  drainTimeoutSeconds: number;
}): Promise<ThroughputFigures> {
  let requests = 0;
  const retriedErrors: Record<string, number> = {};
  const placedAt = new Map<string, number>();
  const deliveredAt = new Map<string, number>();
  const rejected = new Set<string>();
  let fatal: Error | undefined;

  async function mutate<T>(caller: Caller, query: string, variables: Record<string, unknown>): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      requests += 1;
      try {
        const response = await fetch(`${caller.edgeUrl}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${caller.token}` },
          body: JSON.stringify({ query, variables }),
        });
        if (response.status === 429 || response.status === 502 || response.status === 503) throw new RetryableError(`HTTP ${response.status}`);
        const body = (await response.json()) as { data?: T | null; errors?: { message: string; extensions?: { code?: string } }[] };
        const code = body.errors?.[0]?.extensions?.code;
        if (code === 'SERVICE_UNAVAILABLE' || code === 'TOO_MANY_REQUESTS') throw new RetryableError(code);
        if (body.errors?.length || !body.data) throw new Error(`${query.slice(0, 50)}…: ${JSON.stringify(body.errors ?? body).slice(0, 300)}`);
        return body.data;
      } catch (error) {
        const retryable = error instanceof RetryableError ? error.code : error instanceof TypeError ? 'connection failed' : undefined;
        if (!retryable || attempt >= 20) throw error;
        retriedErrors[retryable] = (retriedErrors[retryable] ?? 0) + 1;
        await sleep(Math.min(2_000, 100 * 2 ** attempt));
      }
    }
  }

  /**
   * A step that waits on another service's event (picked up before order-delivery knows the order is
   * ready) is retried on CONFLICT, backing off as a courier's app would rather than hammering.
   */
  async function untilAccepted(step: () => Promise<unknown>): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await step();
        return;
      } catch (error) {
        if (attempt >= 60 || !(error instanceof Error) || !error.message.includes('CONFLICT')) throw error;
        await sleep(Math.min(2_000, 100 * 1.5 ** attempt));
      }
    }
  }

  const owner: Caller = { edgeUrl: options.edgeUrl, token: options.ownerToken };
  const couriers = options.courierTokens.map((token) => ({ edgeUrl: options.edgeUrl, token }));
  let nextCourier = 0;
  const background = new Set<Promise<void>>();
  const inBackground = (work: () => Promise<void>) => {
    const running = work().catch((error: unknown) => {
      fatal ??= error instanceof Error ? error : new Error(String(error));
    });
    background.add(running);
    void running.finally(() => background.delete(running));
  };

  const connection = await connect(options.amqpUrl, { noDelay: true });
  const sql = await createConnection({ ...parseMysqlUrl(options.mysqlAdminUrl), database: undefined });
  const outboxPeak: ThroughputFigures['outboxPeak'] = {};
  const queuePeak: Record<string, number> = {};
  let sampling: NodeJS.Timeout | undefined;
  try {
    const channel = await connection.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true });
    const reactions: Record<string, (data: { orderId: string; deliveryId?: string }) => void> = {
      'order.order.confirmed': ({ orderId }) =>
        inBackground(async () => {
          await mutate(owner, 'mutation ($id: ID!) { acceptOrder(id: $id) { id } }', { id: orderId });
          await mutate(owner, 'mutation ($id: ID!) { markOrderReady(id: $id) { id } }', { id: orderId });
        }),
      'order-delivery.delivery.requested': ({ deliveryId }) =>
        inBackground(async () => {
          const courier = couriers[nextCourier++ % couriers.length]!;
          await mutate(courier, 'mutation ($id: ID!) { claimDelivery(id: $id) { id } }', { id: deliveryId });
          await untilAccepted(() => mutate(courier, 'mutation ($id: ID!) { markPickedUp(id: $id) { id } }', { id: deliveryId }));
          await mutate(courier, 'mutation ($id: ID!) { markDelivered(id: $id) { id } }', { id: deliveryId });
        }),
      'order.order.delivered': ({ orderId }) => void deliveredAt.set(orderId, performance.now()),
      'order.order.rejected': ({ orderId }) => void rejected.add(orderId),
    };
    for (const key of Object.keys(reactions)) await channel.bindQueue(queue, options.exchange, key);
    await channel.consume(
      queue,
      (message) => {
        if (!message) return;
        const { data } = JSON.parse(message.content.toString('utf8')) as { data: { orderId: string; deliveryId?: string } };
        reactions[message.fields.routingKey]?.(data);
      },
      { noAck: true },
    );

    // Services without a queue (auth consumes nothing) are left out: a failed check closes its channel.
    const queues: string[] = [];
    for (const service of options.consumers) {
      const probe = await connection.createChannel();
      probe.on('error', () => undefined);
      if (await probe.checkQueue(consumerQueueName(options.exchange, service)).then(() => true, () => false)) {
        queues.push(service);
        await probe.close();
      }
    }
    const sampler = await connection.createChannel();
    sampling = setInterval(() => void sample(sampler), 1_000);
    async function sample(probe: Channel): Promise<void> {
      for (const [service, database] of Object.entries(options.databases)) {
        const [row] = await sql
          .query<{ n: bigint; age: number | null }[]>(`SELECT COUNT(*) AS n, TIMESTAMPDIFF(MICROSECOND, MIN(created_at), NOW(3)) / 1000000 AS age FROM \`${database}\`.outbox WHERE sent_at IS NULL`)
          .catch(() => []);
        const peak = (outboxPeak[service] ??= { rows: 0, oldestSeconds: 0 });
        peak.rows = Math.max(peak.rows, Number(row?.n ?? 0));
        peak.oldestSeconds = Math.max(peak.oldestSeconds, round(Number(row?.age ?? 0), 2));
      }
      for (const service of queues) {
        const name = consumerQueueName(options.exchange, service);
        const depth = await probe.checkQueue(name).then((q) => q.messageCount).catch(() => 0);
        queuePeak[service] = Math.max(queuePeak[service] ?? 0, depth);
      }
    }

    const address = { recipient: 'Bench', lines: ['1 Rue du Banc'], city: 'Paris', postalCode: '75001', country: 'FR' };
    const started = performance.now();
    const total = Math.round(options.ratePerSecond * options.seconds);
    const placing: Promise<void>[] = [];
    for (let index = 0; index < total && !fatal; index += 1) {
      const wait = started + (index * 1000) / options.ratePerSecond - performance.now();
      if (wait > 0) await sleep(wait);
      const customer = { edgeUrl: options.edgeUrl, token: options.customerTokens[index % options.customerTokens.length]! };
      const pickId = options.pickIds[index % options.pickIds.length]!;
      const sentAt = performance.now();
      placing.push(
        mutate<{ placeOrder: { id: string } }>(customer, 'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', {
          input: { storeId: options.storeId, lines: [{ pickId, quantity: 1 }], deliveryAddress: address, idempotencyKey: randomUUID() },
        }).then(
          ({ placeOrder }) => void placedAt.set(placeOrder.id, sentAt),
          (error: unknown) => void (fatal ??= error instanceof Error ? error : new Error(String(error))),
        ),
      );
    }
    await Promise.all(placing);
    const placingEnded = performance.now();
    const drainDeadline = placingEnded + options.drainTimeoutSeconds * 1000;
    const settled = () => [...placedAt.keys()].every((id) => deliveredAt.has(id) || rejected.has(id));
    while (!fatal && !settled() && performance.now() < drainDeadline) await sleep(200);
    while (background.size > 0 && performance.now() < drainDeadline) await sleep(50);
    if (fatal) throw fatal;

    const delivered = [...placedAt.keys()].filter((id) => deliveredAt.has(id));
    const lastDelivery = Math.max(placingEnded, ...delivered.map((id) => deliveredAt.get(id)!));
    // This run's orders only: the capacity search runs several times against the same store.
    let deliveredInDatabase = 0;
    const placedIds = [...placedAt.keys()];
    for (let from = 0; from < placedIds.length; from += 1000) {
      const ids = placedIds.slice(from, from + 1000);
      const [row] = await sql.query<{ n: bigint }[]>(`SELECT COUNT(*) AS n FROM \`${options.databases.order}\`.orders WHERE status = 'DELIVERED' AND id IN (?)`, [ids]);
      deliveredInDatabase += Number(row?.n ?? 0);
    }
    return {
      placingSeconds: options.seconds,
      targetPerSecond: options.ratePerSecond,
      customers: options.customerTokens.length,
      ordersPlaced: placedAt.size,
      ordersDelivered: delivered.length,
      ordersLost: [...placedAt.keys()].filter((id) => !deliveredAt.has(id) && !rejected.has(id)).length,
      ordersRejected: rejected.size,
      deliveredInDatabase,
      placedPerSecond: round(placedAt.size / ((placingEnded - started) / 1000)),
      deliveredPerSecond: round(delivered.length / ((lastDelivery - started) / 1000)),
      drainSeconds: round((lastDelivery - placingEnded) / 1000),
      placedToDelivered: describe(delivered.map((id) => deliveredAt.get(id)! - placedAt.get(id)!)),
      requests,
      retriedErrors,
      outboxPeak,
      queuePeak,
    };
  } finally {
    clearInterval(sampling);
    await sql.end().catch(() => undefined);
    await connection.close().catch(() => undefined);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
