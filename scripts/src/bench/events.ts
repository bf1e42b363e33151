import { randomUUID } from 'node:crypto';
import { connect } from 'amqplib';
import { createConnection } from 'mariadb';
import { parseMysqlUrl } from '@x/kit';
import { percentile, round } from './load';

export interface Distribution {
  p50Ms: number;
  p99Ms: number;
  samples: number;
}

export const describe = (values: readonly number[]): Distribution => ({ p50Ms: round(percentile(values, 50), 2), p99Ms: round(percentile(values, 99), 2), samples: values.length });

export interface EventFloor {
  amqpRoundTrip: Distribution;
  mysqlCommit: Distribution;
  /** Two round trips plus three commits, drawn from the samples above (Monte Carlo). */
  sagaStepFloor: Distribution;
}

/**
 * What one saga step cannot avoid, on this machine now: raw amqplib publish → consume round trips
 * (confirm channel, persistent messages, noDelay like the kit) and single-row MariaDB commits.
 */
export async function measureEventFloor(options: { amqpUrl: string; mysqlAdminUrl: string; samples: number }): Promise<EventFloor> {
  const roundTrips: number[] = [];
  const connection = await connect(options.amqpUrl, { noDelay: true });
  try {
    const channel = await connection.createConfirmChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true });
    let waiting: (() => void) | undefined;
    await channel.consume(queue, () => waiting?.(), { noAck: true });
    for (let i = 0; i < options.samples; i += 1) {
      const started = performance.now();
      await new Promise<void>((resolve) => {
        waiting = resolve;
        channel.sendToQueue(queue, Buffer.from(JSON.stringify({ i, at: Date.now() })), { persistent: true, contentType: 'application/json' });
      });
      roundTrips.push(performance.now() - started);
    }
    await channel.close();
  } finally {
    await connection.close();
  }

  const commits: number[] = [];
  const database = `bench_floor_${randomUUID().slice(0, 8)}`;
  const db = await createConnection({ ...parseMysqlUrl(options.mysqlAdminUrl), database: undefined });
  try {
    await db.query(`CREATE DATABASE \`${database}\``);
    await db.query(`CREATE TABLE \`${database}\`.floor (id BIGINT AUTO_INCREMENT PRIMARY KEY, payload VARCHAR(200) NOT NULL) ENGINE=InnoDB`);
    for (let i = 0; i < options.samples; i += 1) {
      const started = performance.now();
      await db.beginTransaction();
      await db.query(`INSERT INTO \`${database}\`.floor (payload) VALUES (?)`, [randomUUID()]);
      await db.commit();
      commits.push(performance.now() - started);
    }
  } finally {
    await db.query(`DROP DATABASE IF EXISTS \`${database}\``).catch(() => undefined);
    await db.end();
  }

  const draws: number[] = [];
  const pick = (values: number[]) => values[Math.floor(Math.random() * values.length)]!;
  for (let i = 0; i < 20_000; i += 1) draws.push(pick(roundTrips) + pick(roundTrips) + pick(commits) + pick(commits) + pick(commits));
  return { amqpRoundTrip: describe(roundTrips), mysqlCommit: describe(commits), sagaStepFloor: describe(draws) };
}

export interface SagaFigures {
  ratePerSecond: number;
  ordersPlaced: number;
  ordersConfirmed: number;
  ordersRejected: number;
  placeOrderErrors: number;
  firstPlaceOrderError?: string;
  /** placeOrder sent to the gateway → its answer (the order and its outbox row committed). */
  placeOrderResponse: Distribution;
  /** order.order.placed seen on the exchange → order.order.confirmed seen on the exchange. */
  placedToConfirmed: Distribution;
  /** The picks leg: placed seen → picks.stock.reserved seen (broker → picks → its outbox → broker). */
  placedToReserved: Distribution;
  /** The order leg: picks.stock.reserved seen → order.order.confirmed seen (broker → order → its outbox → broker). */
  reservedToConfirmed: Distribution;
  /** placeOrder sent to the gateway → order.order.confirmed seen on the exchange. */
  mutationToConfirmed: Distribution;
  /** Cores each process used during the run (1 = one core busy throughout). */
  cpu?: Record<string, number>;
}

/**
 * One saga step (order placed → picks reserves → order confirmed) at a steady rate. A tap queue bound
 * to the platform's exchange sees both events; the latency is between their arrival times.
 */
export async function measureSaga(options: {
  amqpUrl: string;
  exchange: string;
  gatewayUrl: string;
  customerToken: string;
  storeId: string;
  /** Orders go round-robin over these picks (one line each). */
  pickIds: string[];
  ratePerSecond: number;
  seconds: number;
}): Promise<SagaFigures> {
  const placedSeen = new Map<string, number>();
  const confirmedSeen = new Map<string, number>();
  const reservedSeen = new Map<string, number>();
  const answered: number[] = [];
  const rejected = new Set<string>();
  const sent = new Map<string, number>();
  let errors = 0;
  let firstError: string | undefined;
  const connection = await connect(options.amqpUrl, { noDelay: true });
  try {
    const channel = await connection.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true });
    for (const key of ['order.order.placed', 'picks.stock.reserved', 'order.order.confirmed', 'order.order.rejected']) await channel.bindQueue(queue, options.exchange, key);
    await channel.consume(
      queue,
      (message) => {
        if (!message) return;
        const now = performance.now();
        const subject = (JSON.parse(message.content.toString('utf8')) as { subject?: string }).subject ?? '';
        if (message.fields.routingKey === 'order.order.placed') placedSeen.set(subject, now);
        else if (message.fields.routingKey === 'picks.stock.reserved') reservedSeen.set(subject, now);
        else if (message.fields.routingKey === 'order.order.confirmed') confirmedSeen.set(subject, now);
        else rejected.add(subject);
      },
      { noAck: true },
    );

    const total = Math.round(options.ratePerSecond * options.seconds);
    const start = performance.now();
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < total; i += 1) {
      const due = start + (i * 1000) / options.ratePerSecond;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const sentAt = performance.now();
      inFlight.push(
        placeOrder({ ...options, pickId: options.pickIds[i % options.pickIds.length]! })
          .then((id) => {
            answered.push(performance.now() - sentAt);
            sent.set(id, sentAt);
          })
          .catch((error: unknown) => {
            errors += 1;
            firstError ??= error instanceof Error ? error.message : String(error);
          }),
      );
    }
    await Promise.all(inFlight);
    const deadline = performance.now() + 20_000;
    while (confirmedSeen.size + rejected.size < sent.size && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    await channel.close();
  } finally {
    await connection.close();
  }

  const placedToConfirmed: number[] = [];
  const placedToReserved: number[] = [];
  const reservedToConfirmed: number[] = [];
  const mutationToConfirmed: number[] = [];
  for (const [id, sentAt] of sent) {
    const confirmedAt = confirmedSeen.get(id);
    if (confirmedAt === undefined) continue;
    mutationToConfirmed.push(confirmedAt - sentAt);
    const placedAt = placedSeen.get(id);
    if (placedAt !== undefined) placedToConfirmed.push(confirmedAt - placedAt);
    const reservedAt = reservedSeen.get(id);
    if (reservedAt !== undefined) reservedToConfirmed.push(confirmedAt - reservedAt);
    if (reservedAt !== undefined && placedAt !== undefined) placedToReserved.push(reservedAt - placedAt);
  }
  return {
    ratePerSecond: options.ratePerSecond,
    ordersPlaced: sent.size,
    ordersConfirmed: [...sent.keys()].filter((id) => confirmedSeen.has(id)).length,
    ordersRejected: [...sent.keys()].filter((id) => rejected.has(id)).length,
    placeOrderErrors: errors,
    ...(firstError ? { firstPlaceOrderError: firstError } : {}),
    placeOrderResponse: describe(answered),
    placedToConfirmed: describe(placedToConfirmed),
    placedToReserved: describe(placedToReserved),
    reservedToConfirmed: describe(reservedToConfirmed),
    mutationToConfirmed: describe(mutationToConfirmed),
  };
}

const address = { recipient: 'Bench', lines: ['1 Rue du Banc'], city: 'Paris', postalCode: '75001', country: 'FR' };

async function placeOrder(options: { gatewayUrl: string; customerToken: string; storeId: string; pickId: string }): Promise<string> {
  const response = await fetch(`${options.gatewayUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${options.customerToken}` },
    body: JSON.stringify({
      query: 'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
      variables: { input: { storeId: options.storeId, lines: [{ pickId: options.pickId, quantity: 1 }], deliveryAddress: address, idempotencyKey: randomUUID() } },
    }),
  });
  const body = (await response.json()) as { data?: { placeOrder: { id: string } } | null; errors?: { message: string }[] };
  if (!body.data?.placeOrder) throw new Error(body.errors?.map((e) => e.message).join('; ') ?? `HTTP ${response.status}`);
  return body.data.placeOrder.id;
}
