import { randomUUID } from 'node:crypto';
import {
  AuthUserRegistered,
  AuthUserRoleGranted,
  buildEvent,
  CategoryCreated,
  connectBroker,
  ContactAddressChanged,
  createMetrics,
  eventCatalog,
  OrderDelivered,
  PickCreated,
  startConsumer,
  UserProfileUpdated,
  type Broker,
  type Consumer,
  type EventEnvelope,
} from '@x/kit';
import { removeTestTopology } from '../../../../test/support/broker';
import { eventually, openHeadquarter, orderSaga, storeLife, testLog, type Headquarter, type OrderSaga } from '../../test/support';
import { rebuildReadModels } from './rebuild';

const exchange = `x.events.test-headquarter-${randomUUID().slice(0, 8)}`;
const metrics = createMetrics('headquarter-test');

let hq: Headquarter;
let broker: Broker;
let consumer: Consumer;

const day1 = '2026-11-20';
const day2 = '2026-11-21';
const at = (iso: string) => new Date(iso);

// Stores: A and B approved, C and E still waiting (C longer).
const storeA = storeLife({ createdAt: at('2026-11-01T08:00:00.000Z'), becomes: 'OPEN' });
const storeB = storeLife({ createdAt: at('2026-11-02T08:00:00.000Z'), becomes: 'OPEN' });
const storeC = storeLife({ createdAt: at('2026-11-03T08:00:00.000Z') });
const storeE = storeLife({ createdAt: at('2026-11-04T08:00:00.000Z') });
const busyCourier = randomUUID();

const sagas: Record<string, OrderSaga> = {
  a1: orderSaga({ storeId: storeA.storeId, placedAt: at(`${day1}T10:00:00.000Z`), ending: 'delivered', deliveryMinutes: 30, totalMinor: 1500 }),
  a2: orderSaga({ storeId: storeA.storeId, placedAt: at(`${day1}T11:00:00.000Z`), ending: 'delivered', deliveryMinutes: 45, totalMinor: 2500 }),
  b1: orderSaga({ storeId: storeB.storeId, placedAt: at(`${day1}T12:00:00.000Z`), ending: 'delivered', deliveryMinutes: 60, totalMinor: 3000 }),
  a3: orderSaga({ storeId: storeA.storeId, placedAt: at(`${day2}T09:00:00.000Z`), ending: 'delivered', deliveryMinutes: 20, totalMinor: 1000 }),
  rejectedForStock: orderSaga({ storeId: storeA.storeId, placedAt: at(`${day1}T13:00:00.000Z`), ending: 'stockRejected' }),
  declined: orderSaga({ storeId: storeB.storeId, placedAt: at(`${day1}T14:00:00.000Z`), ending: 'declined' }),
  cancelled: orderSaga({ storeId: storeB.storeId, placedAt: at(`${day1}T15:00:00.000Z`), ending: 'cancelledAfterClaim' }),
  outForDelivery: orderSaga({ storeId: storeA.storeId, placedAt: at(`${day2}T10:00:00.000Z`), ending: 'outForDelivery', courierId: busyCourier }),
  claimed: orderSaga({ storeId: storeB.storeId, placedAt: at(`${day2}T10:05:00.000Z`), ending: 'claimed', courierId: busyCourier }),
  pending: orderSaga({ storeId: storeA.storeId, placedAt: at(`${day2}T11:00:00.000Z`), ending: 'pending' }),
};

const someoneId = randomUUID();
const grantingAdmin = randomUUID();
const others: EventEnvelope[] = [
  buildEvent(AuthUserRegistered, someoneId, { userId: someoneId, email: 'someone@example.test', roles: ['customer'], displayName: 'Someone' }),
  buildEvent(AuthUserRoleGranted, someoneId, { userId: someoneId, role: 'store_owner', grantedBy: grantingAdmin }),
  buildEvent(UserProfileUpdated, someoneId, { userId: someoneId, changed: ['displayName'] }),
  (() => {
    const categoryId = randomUUID();
    return buildEvent(CategoryCreated, categoryId, { categoryId, slug: 'bakery', name: 'Bakery', parentId: null });
  })(),
  (() => {
    const pickId = randomUUID();
    return buildEvent(PickCreated, pickId, { pickId, storeId: storeA.storeId, name: 'Bread', description: null, priceMinor: 250, currency: 'EUR', stock: 5, available: true, images: [], tags: [] });
  })(),
  buildEvent(ContactAddressChanged, someoneId, { owner: { type: 'user', id: someoneId }, itemId: randomUUID(), change: 'added', defaultItemId: null }),
];

const stream: EventEnvelope[] = [...[storeA, storeB, storeC, storeE].flatMap((store) => store.events), ...Object.values(sagas).flatMap((saga) => saga.events), ...others];

/** A fixed shuffle (seeded), so the stream arrives out of order the same way on every run. */
function shuffled<T>(items: readonly T[], seed = 7): T[] {
  const copy = [...items];
  let state = seed;
  for (let i = copy.length - 1; i > 0; i -= 1) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    const j = state % (i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

async function consumed(outcome: 'processed' | 'duplicate'): Promise<number> {
  const { values } = await metrics.eventsConsumed.get();
  return values.filter((value) => value.labels.outcome === outcome).reduce((sum, value) => sum + value.value, 0);
}

async function publishAll(events: readonly EventEnvelope[]): Promise<void> {
  for (const event of events) await broker.publish(event);
}

/** Everything headquarters answers about the stream, to compare live with rebuilt. */
async function readModels() {
  const { kpis, stores } = hq;
  return {
    ordersByStatus: await kpis.ordersByStatus(),
    revenue: { [day1]: await kpis.revenueByStore(day1), [day2]: await kpis.revenueByStore(day2) },
    deliveryTimes: await kpis.deliveryTimes(),
    activeCouriers: await kpis.activeCouriers(),
    storeStats: await kpis.storeStats([storeA.storeId, storeB.storeId, storeC.storeId]),
    approvalQueue: await stores.approvalQueue(100),
  };
}

beforeAll(async () => {
  hq = await openHeadquarter('events');
  broker = await connectBroker({ url: 'amqp://guest:guest@127.0.0.1:5672', exchange, name: 'headquarter-test', log: testLog });
  consumer = await startConsumer({ broker, queue: 'headquarter', subscriptions: hq.subscriptions, transaction: (work) => hq.db.$transaction(work), log: testLog, metrics });
  await publishAll(shuffled(stream));
  await eventually(async () => expect(await hq.db.inboxEvent.count()).toBe(stream.length), 20_000);
});

afterAll(async () => {
  await consumer.stop();
  await broker.close();
  await removeTestTopology(exchange, ['headquarter']);
  await hq.close();
});

describe('what headquarter consumes', () => {
  it('has one subscription per event type and version of the catalog, so its queue is bound to all of them', () => {
    const route = (definition: { type: string; version: number }) => `${definition.type} v${definition.version}`;
    const subscribed = hq.subscriptions.map((subscription) => route(subscription.definition));
    expect(new Set(subscribed).size).toBe(subscribed.length);
    expect(subscribed.sort()).toEqual(eventCatalog.map(route).sort());
  });
});

describe('live KPIs from a shuffled stream of sagas', () => {
  it('counts each order once, under the furthest status it reached, whatever order its events came in', async () => {
    expect(await hq.kpis.ordersByStatus()).toEqual([
      { status: 'PENDING', count: 1 },
      { status: 'CONFIRMED', count: 0 },
      { status: 'PREPARING', count: 0 },
      { status: 'READY_FOR_PICKUP', count: 1 },
      { status: 'OUT_FOR_DELIVERY', count: 1 },
      { status: 'DELIVERED', count: 4 },
      { status: 'REJECTED', count: 2 },
      { status: 'CANCELLED', count: 1 },
    ]);
  });

  it('sums delivered revenue per store on the day of delivery', async () => {
    expect(await hq.kpis.revenueByStore(day1)).toEqual([
      { storeId: storeA.storeId, currency: 'EUR', amountMinor: 4000, orders: 2 },
      { storeId: storeB.storeId, currency: 'EUR', amountMinor: 3000, orders: 1 },
    ]);
    expect(await hq.kpis.revenueByStore(day2)).toEqual([{ storeId: storeA.storeId, currency: 'EUR', amountMinor: 1000, orders: 1 }]);
    expect(await hq.kpis.revenueByStore('2026-11-22')).toEqual([]);
  });

  it('times deliveries from placed to delivered: mean and 90th percentile', async () => {
    // 30, 45, 60 and 20 minutes: mean 38.75, nearest-rank p90 of four values is the largest.
    expect(await hq.kpis.deliveryTimes()).toEqual({ averageMinutes: 38.75, p90Minutes: 60 });
  });

  it('counts couriers with a claimed, undelivered delivery once each; a cancelled delivery frees its courier', async () => {
    expect(await hq.kpis.activeCouriers()).toBe(1);
  });

  it("keeps each store's orders, revenue and delivery time", async () => {
    const [a, b, c] = await hq.kpis.storeStats([storeA.storeId, storeB.storeId, storeC.storeId]);
    expect(a).toEqual({ storeId: storeA.storeId, orders: 6, deliveredOrders: 3, revenue: [{ currency: 'EUR', amountMinor: 5000 }], averageDeliveryMinutes: (30 + 45 + 20) / 3 });
    expect(b).toEqual({ storeId: storeB.storeId, orders: 4, deliveredOrders: 1, revenue: [{ currency: 'EUR', amountMinor: 3000 }], averageDeliveryMinutes: 60 });
    expect(c).toEqual({ storeId: storeC.storeId, orders: 0, deliveredOrders: 0, revenue: [], averageDeliveryMinutes: null });
  });
});

describe('approval queue', () => {
  it('holds the stores still PENDING_APPROVAL, longest waiting first, and drops approved ones', async () => {
    const queue = await hq.stores.approvalQueue(10);
    expect(queue.map((row) => [row.storeId, row.ownerId, row.statusSince.toISOString()])).toEqual([
      [storeC.storeId, storeC.ownerId, '2026-11-03T08:00:00.000Z'],
      [storeE.storeId, storeE.ownerId, '2026-11-04T08:00:00.000Z'],
    ]);
  });
});

describe('audit trail', () => {
  it('records every event once with its envelope, and the actor when the event names one', async () => {
    expect(await hq.db.auditEvent.count()).toBe(stream.length);
    const granted = others[1]!;
    const row = await hq.db.auditEvent.findUniqueOrThrow({ where: { eventId: granted.id } });
    expect(row).toMatchObject({ type: 'auth.user.role-granted', version: 1, source: 'auth', entityId: someoneId, correlationId: granted.correlationId, actorId: grantingAdmin });
    expect(JSON.parse(row.payload)).toEqual(granted);
    const placed = await hq.db.auditEvent.findUniqueOrThrow({ where: { eventId: sagas.a1!.events[0]!.id } });
    expect(placed.actorId).toBe(JSON.parse(placed.payload).data.customerId);
    expect((await hq.db.auditEvent.findUniqueOrThrow({ where: { eventId: sagas.a1!.events[2]!.id } })).actorId).toBeNull();
  });

  it('keeps no e-mail, name or address: the personal fields of each contract are left out of the trail', async () => {
    const registered = others[0]!;
    const row = await hq.db.auditEvent.findUniqueOrThrow({ where: { eventId: registered.id } });
    expect(JSON.parse(row.payload)).toEqual({ ...registered, data: { userId: someoneId, roles: ['customer'] } });
    const placed = sagas.a1!.events[0]!;
    const placedRow = await hq.db.auditEvent.findUniqueOrThrow({ where: { eventId: placed.id } });
    expect(JSON.parse(placedRow.payload).data).not.toHaveProperty('deliveryAddress');
    const everything = (await hq.db.auditEvent.findMany()).map((audit) => audit.payload).join('\n');
    expect(everything).not.toMatch(/someone@example\.test|"recipient"|"postalCode"|"Someone"/);
  });

  it('refuses to change or delete a recorded event', async () => {
    const eventId = sagas.a1!.events[0]!.id;
    await expect(hq.db.auditEvent.update({ where: { eventId }, data: { type: 'rewritten' } })).rejects.toThrow(/append-only/);
    await expect(hq.db.auditEvent.delete({ where: { eventId } })).rejects.toThrow(/append-only/);
    expect((await hq.db.auditEvent.findUniqueOrThrow({ where: { eventId } })).type).toBe('order.order.placed');
  });

  it("returns one order's placement chain by correlation id, oldest first, each event caused by the one before", async () => {
    const saga = sagas.a1!;
    const chain = await hq.audit.page({ correlationId: saga.placementCorrelationId }, 10);
    expect(chain.map((row) => row.type)).toEqual(['order.order.placed', 'picks.stock.reserved', 'order.order.confirmed']);
    expect(chain.map((row) => row.causationId)).toEqual([null, chain[0]!.eventId, chain[1]!.eventId]);
  });

  it("returns every event about one order by its id, across the requests that moved it", async () => {
    const rows = await hq.audit.page({ entityId: sagas.a1!.orderId }, 50);
    expect(rows.map((row) => row.type)).toEqual([
      'order.order.placed',
      'picks.stock.reserved',
      'order.order.confirmed',
      'order.order.accepted',
      'order.order.ready-for-pickup',
      'order.order.out-for-delivery',
      'order.order.delivered',
      'picks.stock.committed',
    ]);
  });
});

describe('exactly once', () => {
  it('counts redelivered events once', async () => {
    const before = await readModels();
    const duplicatesBefore = await consumed('duplicate');
    const again = [...sagas.a1!.events, ...sagas.cancelled!.events, ...storeC.events];
    await publishAll(again);
    await eventually(async () => expect(await consumed('duplicate')).toBe(duplicatesBefore + again.length));
    expect(await readModels()).toEqual(before);
    expect(await hq.db.auditEvent.count()).toBe(stream.length);
  });

  it('does not count again an effect Redis took when the transaction around it then rolled back', async () => {
    const day3 = '2026-11-23';
    const saga = orderSaga({ storeId: storeB.storeId, placedAt: at(`${day3}T08:00:00.000Z`), ending: 'delivered', deliveryMinutes: 25, totalMinor: 700 });
    const delivered = saga.events.find((event) => event.type === OrderDelivered.type)!;
    const handler = hq.subscriptions.find((subscription) => subscription.definition.type === OrderDelivered.type)!;
    const processed = await consumed('processed');
    await publishAll(saga.events.filter((event) => event !== delivered));
    await eventually(async () => expect(await consumed('processed')).toBe(processed + saga.events.length - 1));

    // The handler runs (Redis takes the effect), then the commit fails.
    await expect(
      hq.db.$transaction(async (tx) => {
        await handler.handle(delivered, tx);
        throw new Error('commit refused');
      }),
    ).rejects.toThrow('commit refused');
    expect(await hq.kpis.revenueByStore(day3)).toEqual([{ storeId: storeB.storeId, currency: 'EUR', amountMinor: 700, orders: 1 }]);
    expect(await hq.db.auditEvent.count({ where: { eventId: delivered.id } })).toBe(0);

    // The broker delivers it again: SQL is redone, the guard keeps Redis from counting it twice.
    await publishAll([delivered]);
    await eventually(async () => expect(await hq.db.inboxEvent.count({ where: { eventId: delivered.id } })).toBe(1));
    expect(await hq.db.auditEvent.count({ where: { eventId: delivered.id } })).toBe(1);
    expect(await hq.kpis.revenueByStore(day3)).toEqual([{ storeId: storeB.storeId, currency: 'EUR', amountMinor: 700, orders: 1 }]);
    const [b] = await hq.kpis.storeStats([storeB.storeId]);
    expect(b).toMatchObject({ orders: 5, deliveredOrders: 2, revenue: [{ currency: 'EUR', amountMinor: 3700 }] });
  });
});

describe('rebuild', () => {
  it('clears the read models and replays the audit trail into exactly the live ones', async () => {
    const live = await readModels();
    const trail = await hq.db.auditEvent.count();
    // Damage both read models, so an unchanged result cannot come from a rebuild that did nothing.
    await hq.redis.hincrby(`${hq.prefix}orders:by-status`, 'DELIVERED', 100);
    await hq.redis.hset(`${hq.prefix}couriers:active`, randomUUID(), 1);
    await hq.db.storeState.deleteMany({ where: { storeId: storeC.storeId } });
    expect(await readModels()).not.toEqual(live);

    const report = await rebuildReadModels({ db: hq.db, audit: hq.audit, stores: hq.stores, kpis: hq.kpis, projections: hq.projections, log: testLog, inFlightMs: 50 });

    expect(report).toMatchObject({ replayed: trail, skipped: [] });
    expect(report.keysCleared).toBeGreaterThan(0);
    expect(await readModels()).toEqual(live);
    expect(await hq.db.auditEvent.count()).toBe(trail);
  });

  it('applies an event whose transaction wrote Redis before the clear and committed after the first pass', async () => {
    const day4 = '2026-11-24';
    const saga = orderSaga({ storeId: storeA.storeId, placedAt: at(`${day4}T08:00:00.000Z`), ending: 'delivered', deliveryMinutes: 15, totalMinor: 900 });
    const delivered = saga.events.find((event) => event.type === OrderDelivered.type)!;
    const handler = hq.subscriptions.find((subscription) => subscription.definition.type === OrderDelivered.type)!;
    let effectWritten!: () => void;
    let commit!: () => void;
    const written = new Promise<void>((resolve) => (effectWritten = resolve));
    const committing = new Promise<void>((resolve) => (commit = resolve));
    const inFlight = hq.db.$transaction(
      async (tx) => {
        await tx.inboxEvent.create({ data: { consumer: 'headquarter', eventId: delivered.id, eventType: delivered.type } });
        await handler.handle(delivered, tx);
        effectWritten();
        await committing;
      },
      { timeout: 10_000 },
    );
    await written;

    const rebuilding = rebuildReadModels({ db: hq.db, audit: hq.audit, stores: hq.stores, kpis: hq.kpis, projections: hq.projections, log: testLog, inFlightMs: 1_500 });
    // The clear wipes the effect; the row is still invisible to the first pass, which soon ends.
    await eventually(async () => expect(await hq.kpis.revenueByStore(day4)).toEqual([]));
    await new Promise((resolve) => setTimeout(resolve, 300));
    commit();
    await inFlight;
    await rebuilding;

    expect(await hq.kpis.revenueByStore(day4)).toEqual([{ storeId: storeA.storeId, currency: 'EUR', amountMinor: 900, orders: 1 }]);
  });
});
