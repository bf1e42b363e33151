import { randomUUID } from 'node:crypto';
import { mariadbAdapter } from '@x/kit';
import { anonymous, mutationFieldsOf, outcomeOf, startSubgraphHarness, type Caller, type SubgraphHarness } from '../../../../test/support/subgraph-harness';
import { address, markOrderReady, openTestDatabase, seedDelivery, seedStore, type TestDatabase } from '../../test/support';
import { PrismaClient } from '../store/database';
import { DeliveryStore, type DeliveryRow } from '../store/deliveries';
import { Projections } from '../store/projections';
import { deliveryContext } from './context';
import { resolvers, typeDefs } from './resolvers';

type CallerName = 'anonymous' | 'customer' | 'otherCourier' | 'courier' | 'hqAdmin';

let database: TestDatabase;
let db: PrismaClient;
/** A client that records its SQL statements, serving the harness, for the batching checks. */
let counted: PrismaClient;
let statements: string[];
let deliveries: DeliveryStore;
let projections: Projections;
let harness: SubgraphHarness;
let callers: Record<CallerName | 'storeOwner' | 'otherCustomer', Caller>;
let storeId: string;

const person = (caller: Caller) => ({ kind: 'person', userId: caller.userId, roles: ['courier'] }) as const;

beforeAll(async () => {
  ({ database, db } = await openTestDatabase('api'));
  const logging = new PrismaClient({ adapter: mariadbAdapter(database.url, 5), log: [{ emit: 'event', level: 'query' }] });
  statements = [];
  logging.$on('query', (event) => statements.push(event.query));
  counted = logging;
  projections = new Projections(db);
  deliveries = new DeliveryStore(db, projections, { wake: () => undefined });
  const served = new Projections(counted);
  harness = await startSubgraphHarness({ name: 'order-delivery', typeDefs, resolvers, context: deliveryContext(new DeliveryStore(counted, served, { wake: () => undefined }), served) });
  callers = {
    anonymous,
    customer: await harness.caller(['customer']),
    otherCustomer: await harness.caller(['customer']),
    otherCourier: await harness.caller(['courier']),
    courier: await harness.caller(['courier']),
    hqAdmin: await harness.caller(['hq_admin']),
    storeOwner: await harness.caller(['store_owner']),
  };
  storeId = (await seedStore(db, projections, { ownerId: callers.storeOwner.userId })).storeId;
});

afterAll(async () => {
  await harness.close();
  await counted.$disconnect();
  await db.$disconnect();
  await database.drop();
});

/** A delivery of callers.customer's order, taken as far as `status` by callers.courier. */
async function deliveryIn(status: 'REQUESTED' | 'CLAIMED' | 'READY' | 'PICKED_UP' | 'RETURNING'): Promise<DeliveryRow> {
  const delivery = await seedDelivery(db, deliveries, storeId, { customerId: callers.customer.userId });
  if (status === 'REQUESTED') return delivery;
  await deliveries.act(delivery.id, 'claim', person(callers.courier));
  if (status === 'CLAIMED') return delivery;
  await markOrderReady(db, projections, delivery);
  if (status === 'READY') return delivery;
  const pickedUp = await deliveries.act(delivery.id, 'pickUp', person(callers.courier));
  if (status === 'PICKED_UP') return pickedUp;
  // The order was cancelled after the pick-up.
  const order = { orderId: delivery.orderId, storeId: delivery.storeId, customerId: delivery.customerId };
  return (await db.$transaction((tx) => deliveries.cancelForCancelledOrder(tx, order, randomUUID(), 'cancelled after pick-up')))!;
}

const historyLength = (deliveryId: string) => db.statusChange.count({ where: { deliveryId } });

describe('who may move a delivery', () => {
  interface Case {
    document: string;
    /** The state the target is in before the call. */
    target: Parameters<typeof deliveryIn>[0];
    expected: Record<CallerName, string>;
  }
  const claimingCourierOnly: Record<CallerName, string> = { anonymous: 'UNAUTHENTICATED', customer: 'FORBIDDEN', otherCourier: 'FORBIDDEN', courier: 'ok', hqAdmin: 'FORBIDDEN' };
  // One row per mutation of the SDL; the first test fails when a mutation is missing here.
  const matrix: Record<string, Case> = {
    claimDelivery: {
      document: 'mutation ($id: ID!) { claimDelivery(id: $id) { id status courier { id } } }',
      target: 'REQUESTED',
      // Any courier may claim an open delivery.
      expected: { ...claimingCourierOnly, otherCourier: 'ok' },
    },
    markPickedUp: { document: 'mutation ($id: ID!) { markPickedUp(id: $id) { id status } }', target: 'READY', expected: claimingCourierOnly },
    markDelivered: { document: 'mutation ($id: ID!) { markDelivered(id: $id) { id status } }', target: 'PICKED_UP', expected: claimingCourierOnly },
    markReturned: { document: 'mutation ($id: ID!) { markReturned(id: $id) { id status returnedAt } }', target: 'RETURNING', expected: claimingCourierOnly },
  };

  it('has a row for every mutation in the SDL', () => {
    expect(Object.keys(matrix).sort()).toEqual(mutationFieldsOf(typeDefs).sort());
  });

  const cells = Object.entries(matrix).flatMap(([mutation, row]) => Object.entries(row.expected).map(([caller, expected]) => [mutation, caller as CallerName, expected] as const));

  it.each(cells)('%s by %s: %s, and only an allowed call changes anything', async (mutation, callerName, expected) => {
    const row = matrix[mutation]!;
    const target = await deliveryIn(row.target);
    const before = await historyLength(target.id);
    const answer = await harness.request(row.document, { id: target.id }, callers[callerName]);
    expect(outcomeOf(answer)).toBe(expected);
    expect((await historyLength(target.id)) > before).toBe(expected === 'ok');
  });
});

describe('courier steps through the API', () => {
  it('answers a pick-up before the order is ready with CONFLICT and the reason', async () => {
    const target = await deliveryIn('CLAIMED');
    const answer = await harness.request('mutation ($id: ID!) { markPickedUp(id: $id) { id } }', { id: target.id }, callers.courier);
    expect(outcomeOf(answer)).toBe('CONFLICT');
    expect(answer.errors?.[0]?.message).toBe('the order is not ready for pick-up yet (it is PREPARING)');
  });

  it('answers NOT_FOUND for an unknown delivery and BAD_USER_INPUT for an id that is not one', async () => {
    const unknown = await harness.request('mutation ($id: ID!) { claimDelivery(id: $id) { id } }', { id: randomUUID() }, callers.courier);
    expect(outcomeOf(unknown)).toBe('NOT_FOUND');
    const garbage = await harness.request('mutation ($id: ID!) { claimDelivery(id: $id) { id } }', { id: 'delivery-1' }, callers.courier);
    expect(outcomeOf(garbage)).toBe('BAD_USER_INPUT');
    expect(garbage.errors?.[0]?.message).toContain('id');
  });
});

describe('reading a delivery', () => {
  const document = 'query ($id: ID!) { delivery(id: $id) { id status dropoffArea { city } dropoff { recipient phone } order { id } store { id } courier { id } history { to } } }';
  type Answer = { delivery: { dropoff: { recipient: string } | null; courier: { id: string } | null; history: { to: string }[] } | null };

  it('lets its courier, the customer, the store owner and hq_admin read a claimed delivery, with the address; nobody else', async () => {
    const target = await deliveryIn('CLAIMED');
    const outcomes: Record<string, string> = {};
    for (const name of ['anonymous', 'customer', 'otherCustomer', 'otherCourier', 'courier', 'hqAdmin', 'storeOwner'] as const) {
      const answer = await harness.request<Answer>(document, { id: target.id }, callers[name]);
      outcomes[name] = outcomeOf(answer);
      if (outcomeOf(answer) === 'ok') expect(answer.data?.delivery?.dropoff?.recipient).toBe(address.recipient);
    }
    expect(outcomes).toEqual({ anonymous: 'UNAUTHENTICATED', customer: 'ok', otherCustomer: 'FORBIDDEN', otherCourier: 'FORBIDDEN', courier: 'ok', hqAdmin: 'ok', storeOwner: 'ok' });
  });

  it('shows any courier an open delivery without the recipient’s address, and its history', async () => {
    const target = await deliveryIn('REQUESTED');
    const answer = await harness.request<Answer>(document, { id: target.id }, callers.otherCourier);
    expect(answer.data?.delivery).toMatchObject({ dropoff: null, courier: null, history: [{ to: 'REQUESTED' }], dropoffArea: { city: 'London' }, order: { id: target.orderId } });
  });

  it('answers null for a delivery that does not exist', async () => {
    expect((await harness.request<Answer>(document, { id: randomUUID() }, callers.hqAdmin)).data?.delivery).toBeNull();
  });
});

describe('open deliveries near a courier', () => {
  const document = 'query ($near: GeoPointInput!, $radiusKm: Float!, $first: Int) { openDeliveries(near: $near, radiusKm: $radiusKm, first: $first) { distanceKm delivery { id status pickup { lat lng } dropoff { recipient } } } }';
  type Answer = { openDeliveries: { distanceKm: number; delivery: { id: string; status: string; pickup: { lat: number }; dropoff: null } }[] };
  // Far from every other test's stores, so only this test's deliveries are near.
  const sydney = { lat: -33.8688, lng: 151.2093 };
  const kmNorth = (km: number) => ({ lat: sydney.lat + km / 111.195, lng: sydney.lng });

  it('lists REQUESTED deliveries whose pickup is within the radius, nearest first, up to first', async () => {
    const at = async (km: number) => {
      const store = await seedStore(db, projections, { location: kmNorth(km) });
      return seedDelivery(db, deliveries, store.storeId);
    };
    const near = await at(1);
    const nearest = await at(0.2);
    const edge = await at(4.9);
    const outside = await at(5.2);
    const claimed = await at(0.5);
    await deliveries.act(claimed.id, 'claim', person(callers.otherCourier));

    const answer = await harness.request<Answer>(document, { near: sydney, radiusKm: 5 }, callers.courier);
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.openDeliveries.map((entry) => entry.delivery.id)).toEqual([nearest.id, near.id, edge.id]);
    expect(answer.data?.openDeliveries.map((entry) => Math.round(entry.distanceKm * 10) / 10)).toEqual([0.2, 1, 4.9]);
    expect(answer.data?.openDeliveries.every((entry) => entry.delivery.status === 'REQUESTED' && entry.delivery.dropoff === null)).toBe(true);
    expect(outside.id).not.toBe(near.id);

    const firstTwo = await harness.request<Answer>(document, { near: sydney, radiusKm: 5, first: 2 }, callers.courier);
    expect(firstTwo.data?.openDeliveries.map((entry) => entry.delivery.id)).toEqual([nearest.id, near.id]);
  });

  it('is for couriers only, with a radius of at most 50 km', async () => {
    expect(outcomeOf(await harness.request(document, { near: sydney, radiusKm: 5 }, callers.customer))).toBe('FORBIDDEN');
    expect(outcomeOf(await harness.request(document, { near: sydney, radiusKm: 5 }, anonymous))).toBe('UNAUTHENTICATED');
    const tooFar = await harness.request(document, { near: sydney, radiusKm: 51 }, callers.courier);
    expect(outcomeOf(tooFar)).toBe('BAD_USER_INPUT');
    expect(tooFar.errors?.[0]?.message).toContain('radiusKm must be at most 50');
    expect(outcomeOf(await harness.request(document, { near: { lat: 91, lng: 0 }, radiusKm: 5 }, callers.courier))).toBe('BAD_USER_INPUT');
  });
});

describe("a courier's deliveries", () => {
  const mine = 'query ($first: Int, $after: String, $status: DeliveryStatus) { myDeliveries(first: $first, after: $after, status: $status) { edges { node { id status } } pageInfo { hasNextPage endCursor } } }';
  type Page = { edges: { node: { id: string; status: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };

  it('pages through myDeliveries, most recently claimed first, with a status filter', async () => {
    const courier = await harness.caller(['courier']);
    const claimed: string[] = [];
    for (let index = 0; index < 3; index += 1) {
      const delivery = await seedDelivery(db, deliveries, storeId);
      await deliveries.act(delivery.id, 'claim', person(courier));
      claimed.push(delivery.id);
    }
    const first = await harness.request<{ myDeliveries: Page }>(mine, { first: 2 }, courier);
    expect(first.data?.myDeliveries.edges.map((edge) => edge.node.id)).toEqual([claimed[2], claimed[1]]);
    expect(first.data?.myDeliveries.pageInfo.hasNextPage).toBe(true);
    const second = await harness.request<{ myDeliveries: Page }>(mine, { first: 2, after: first.data?.myDeliveries.pageInfo.endCursor }, courier);
    expect(second.data?.myDeliveries).toEqual({ edges: [{ node: { id: claimed[0], status: 'CLAIMED' } }], pageInfo: { hasNextPage: false, endCursor: expect.any(String) } });
    const none = await harness.request<{ myDeliveries: Page }>(mine, { status: 'DELIVERED' }, courier);
    expect(none.data?.myDeliveries.edges).toEqual([]);
    expect(outcomeOf(await harness.request(mine, {}, callers.customer))).toBe('FORBIDDEN');
  });

  it('shows User.deliveries to the courier themself and hq_admin only', async () => {
    const document = 'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { deliveries { edges { node { id } } } } } }';
    const claimed = await deliveryIn('CLAIMED');
    const representations = [{ __typename: 'User', id: callers.courier.userId }];
    const own = await harness.request<{ _entities: { deliveries: Page }[] }>(document, { representations }, callers.courier);
    expect(own.data?._entities[0]?.deliveries.edges.map((edge) => edge.node.id)).toContain(claimed.id);
    expect(outcomeOf(await harness.request(document, { representations }, callers.hqAdmin))).toBe('ok');
    expect(outcomeOf(await harness.request(document, { representations }, callers.otherCourier))).toBe('FORBIDDEN');
  });
});

describe('Order.delivery', () => {
  const document = 'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Order { id delivery { id status store { id } } } } }';

  it("resolves 30 orders' deliveries with one deliveries query and one store query, null for an order without one", async () => {
    const targets: DeliveryRow[] = [];
    for (let index = 0; index < 30; index += 1) targets.push(await seedDelivery(db, deliveries, storeId, { customerId: callers.customer.userId }));
    const representations = [...targets.map((delivery) => ({ __typename: 'Order', id: delivery.orderId })), { __typename: 'Order', id: randomUUID() }];
    statements.length = 0;
    const answer = await harness.request<{ _entities: { id: string; delivery: { id: string } | null }[] }>(document, { representations }, callers.customer);
    expect(answer.errors).toBeUndefined();
    expect(answer.data?._entities.map((order) => order.delivery?.id ?? null)).toEqual([...targets.map((delivery) => delivery.id), null]);
    const selects = statements.filter((sql) => sql.trimStart().toUpperCase().startsWith('SELECT'));
    expect(selects.filter((sql) => sql.includes('`deliveries`'))).toHaveLength(1);
    expect(selects.filter((sql) => sql.includes('`stores`'))).toHaveLength(1);
  });

  it("refuses an order's delivery to a caller who is no party to it", async () => {
    const target = await deliveryIn('CLAIMED');
    const answer = await harness.request(document, { representations: [{ __typename: 'Order', id: target.orderId }] }, callers.otherCustomer);
    expect(outcomeOf(answer)).toBe('FORBIDDEN');
  });
});
