import { randomUUID } from 'node:crypto';
import {
  AuthUserDeleted,
  buildEvent,
  connectBroker,
  DomainError,
  listDeadLetters,
  OrderAccepted,
  OrderCancelled,
  OrderReadyForPickup,
  OutboxRelay,
  prismaRelayDatabase,
  startConsumer,
  StoreCreated,
  StoreUpdated,
  type Broker,
  type Consumer,
} from '@x/kit';
import { removeTestTopology } from '../../../../test/support/broker';
import { acceptedOrder, address, eventually, openTestDatabase, outboxPayloadsOf, outboxTypesOf, storeSnapshot, testLog, type TestDatabase } from '../../test/support';
import { deliverySubscriptions } from '../events/handlers';
import type { PrismaClient } from './database';
import { DeliveryStore, type DeliveryRow } from './deliveries';
import { Projections } from './projections';

const exchange = `x.events.test-order-delivery-${randomUUID().slice(0, 8)}`;
const queue = 'order-delivery';

let database: TestDatabase;
let db: PrismaClient;
let broker: Broker;
let relay: OutboxRelay;
let consumer: Consumer;
let projections: Projections;
let deliveries: DeliveryStore;

const store = storeSnapshot({ location: { lat: 51.5074, lng: -0.1278 } });
const courier = () => ({ kind: 'person', userId: randomUUID(), roles: ['courier'] }) as const;

beforeAll(async () => {
  ({ database, db } = await openTestDatabase('saga'));
  broker = await connectBroker({ url: 'amqp://guest:guest@127.0.0.1:5672', exchange, name: 'order-delivery-test', log: testLog });
  relay = new OutboxRelay({ db: prismaRelayDatabase(db), broker, log: testLog, pollIntervalMs: 50 });
  projections = new Projections(db);
  deliveries = new DeliveryStore(db, projections, relay);
  consumer = await startConsumer({
    broker,
    queue,
    subscriptions: deliverySubscriptions(deliveries, projections),
    transaction: (work) => db.$transaction(work),
    log: testLog,
    // The delays removeTestTopology knows, so afterAll leaves no retry queue behind.
    retryDelaysMs: [1000, 5000, 30000],
  });
  await broker.publish(buildEvent(StoreCreated, store.storeId, store));
  await eventually(async () => expect(await db.projectedStore.count({ where: { id: store.storeId } })).toBe(1));
});

afterAll(async () => {
  await consumer.stop();
  await relay.stop();
  await broker.close();
  await removeTestTopology(exchange, [queue]);
  await db.$disconnect();
  await database.drop();
});

async function codeOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
    return 'ok';
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
}

const deliveryOf = (orderId: string) => eventually(async () => db.delivery.findUniqueOrThrow({ where: { orderId } }));
const orderStatusOf = async (orderId: string) => (await db.projectedOrder.findUnique({ where: { id: orderId } }))?.status;
const historyOf = async (deliveryId: string) => (await db.statusChange.findMany({ where: { deliveryId }, orderBy: { id: 'asc' } })).map((change) => change.toStatus);

async function requested(storeId = store.storeId, customerId: string | null = randomUUID()) {
  const order = acceptedOrder(storeId, { customerId });
  await broker.publish(buildEvent(OrderAccepted, order.orderId, order));
  return { order, delivery: await deliveryOf(order.orderId) };
}

function cancelled(order: { orderId: string; storeId: string; customerId: string | null }, previousStatus = 'PREPARING') {
  return buildEvent(OrderCancelled, order.orderId, { ...order, cancelledBy: randomUUID(), reason: 'changed my mind', stockReserved: true, previousStatus });
}

async function readyForPickup(order: { orderId: string; storeId: string; customerId: string | null }) {
  await broker.publish(buildEvent(OrderReadyForPickup, order.orderId, { orderId: order.orderId, storeId: order.storeId, customerId: order.customerId }));
  await eventually(async () => expect(await orderStatusOf(order.orderId)).toBe('READY_FOR_PICKUP'));
}

describe('requesting a delivery', () => {
  it("creates a REQUESTED delivery from the store's projected location to the order's address, and announces it", async () => {
    const { order, delivery } = await requested();
    expect(delivery).toMatchObject({
      status: 'REQUESTED',
      storeId: store.storeId,
      customerId: order.customerId,
      courierId: null,
      pickupLat: store.location.lat,
      pickupLng: store.location.lng,
      dropoffCity: 'London',
      dropoffLat: address.location!.lat,
    });
    expect(JSON.parse(delivery.dropoffAddress!)).toEqual(address);
    expect(await historyOf(delivery.id)).toEqual(['REQUESTED']);
    const [announced] = await outboxPayloadsOf(db, 'order-delivery.delivery.requested', delivery.id);
    expect(announced?.data).toEqual({ deliveryId: delivery.id, orderId: order.orderId, storeId: store.storeId, pickup: store.location, dropoff: address });
    expect(await orderStatusOf(order.orderId)).toBe('PREPARING');
  });

  it('waits for a store it does not know yet, retrying the acceptance until the store arrives', async () => {
    const lateStore = storeSnapshot({ location: { lat: 48.8566, lng: 2.3522 } });
    const order = acceptedOrder(lateStore.storeId);
    await broker.publish(buildEvent(OrderAccepted, order.orderId, order));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await db.delivery.count({ where: { orderId: order.orderId } })).toBe(0);
    await broker.publish(buildEvent(StoreCreated, lateStore.storeId, lateStore));
    expect(await deliveryOf(order.orderId)).toMatchObject({ status: 'REQUESTED', pickupLat: 48.8566, pickupLng: 2.3522 });
  });

  it('applies a duplicate acceptance once, whether redelivered or sent again under a new id', async () => {
    const order = acceptedOrder(store.storeId);
    const event = buildEvent(OrderAccepted, order.orderId, order);
    await Promise.all([broker.publish(event), broker.publish(event), broker.publish(buildEvent(OrderAccepted, order.orderId, order))]);
    const delivery = await deliveryOf(order.orderId);
    await eventually(async () => expect(await db.inboxEvent.count({ where: { eventType: 'order.order.accepted', eventId: { in: [event.id] } } })).toBe(1));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await db.delivery.count({ where: { orderId: order.orderId } })).toBe(1);
    expect(await outboxTypesOf(db, delivery.id)).toEqual(['order-delivery.delivery.requested']);
  });

  it('takes many acceptances at once without lock conflicts between the new orders', async () => {
    const orders = Array.from({ length: 8 }, () => acceptedOrder(store.storeId));
    const outcomes = await Promise.allSettled(
      orders.map((order) =>
        db.$transaction((tx) => deliveries.requestForAcceptedOrder(tx, { ...order, dropoff: order.deliveryAddress }, randomUUID())),
      ),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
    expect(await db.delivery.count({ where: { orderId: { in: orders.map((order) => order.orderId) } } })).toBe(orders.length);
  });

  it('keeps the pickup of a delivery it already requested when the store moves later', async () => {
    const moving = storeSnapshot({ revision: 1 });
    await broker.publish(buildEvent(StoreCreated, moving.storeId, moving));
    await eventually(async () => expect(await db.projectedStore.count({ where: { id: moving.storeId } })).toBe(1));
    const { delivery } = await requested(moving.storeId);
    const moved = { ...moving, location: { lat: 40.4168, lng: -3.7038 }, revision: 2, changed: ['location'], previousCategoryIds: [] };
    await broker.publish(buildEvent(StoreUpdated, moving.storeId, moved));
    await eventually(async () => expect((await db.projectedStore.findUniqueOrThrow({ where: { id: moving.storeId } })).lat).toBe(40.4168));
    // An older snapshot redelivered late does not move the projection back.
    await broker.publish(buildEvent(StoreUpdated, moving.storeId, { ...moved, location: { lat: 1, lng: 1 }, revision: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await db.projectedStore.findUniqueOrThrow({ where: { id: moving.storeId } })).lat).toBe(40.4168);
    expect((await db.delivery.findUniqueOrThrow({ where: { id: delivery.id } })).pickupLat).toBe(moving.location.lat);
  });
});

describe('claiming', () => {
  it('lets exactly one of many couriers claiming at once win; the others get CONFLICT', async () => {
    const { delivery } = await requested();
    const couriers = Array.from({ length: 12 }, courier);
    const outcomes = await Promise.all(couriers.map((actor) => codeOf(deliveries.act(delivery.id, 'claim', actor))));
    expect(outcomes.filter((outcome) => outcome === 'ok')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'CONFLICT')).toHaveLength(couriers.length - 1);
    const winner = couriers[outcomes.indexOf('ok')]!;
    expect(await db.delivery.findUniqueOrThrow({ where: { id: delivery.id } })).toMatchObject({ status: 'CLAIMED', courierId: winner.userId });
    expect(await historyOf(delivery.id)).toEqual(['REQUESTED', 'CLAIMED']);
    const claims = await outboxPayloadsOf(db, 'order-delivery.delivery.claimed', delivery.id);
    expect(claims.map((claim) => claim.data.courierId)).toEqual([winner.userId]);
  });

  it('tells a late claimer that another courier was first', async () => {
    const { delivery } = await requested();
    await deliveries.act(delivery.id, 'claim', courier());
    await expect(deliveries.act(delivery.id, 'claim', courier())).rejects.toMatchObject({ code: 'CONFLICT', message: 'cannot claim a delivery that is CLAIMED' });
  });
});

describe('picking up and delivering', () => {
  it('refuses the pick-up before the order is READY_FOR_PICKUP and allows it after, then delivers', async () => {
    const { order, delivery } = await requested();
    const mine = courier();
    await deliveries.act(delivery.id, 'claim', mine);
    await expect(deliveries.act(delivery.id, 'pickUp', mine)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: 'the order is not ready for pick-up yet (it is PREPARING)',
    });
    await expect(deliveries.act(delivery.id, 'deliver', mine)).rejects.toMatchObject({ code: 'CONFLICT' });

    await readyForPickup(order);
    await expect(deliveries.act(delivery.id, 'pickUp', courier())).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await deliveries.act(delivery.id, 'pickUp', mine)).toMatchObject({ status: 'PICKED_UP', pickedUpAt: expect.any(Date) });
    expect(await deliveries.act(delivery.id, 'deliver', mine)).toMatchObject({ status: 'DELIVERED', deliveredAt: expect.any(Date) });

    expect(await historyOf(delivery.id)).toEqual(['REQUESTED', 'CLAIMED', 'PICKED_UP', 'DELIVERED']);
    expect(await outboxTypesOf(db, delivery.id)).toEqual([
      'order-delivery.delivery.requested',
      'order-delivery.delivery.claimed',
      'order-delivery.delivery.picked-up',
      'order-delivery.delivery.delivered',
    ]);
    const [pickedUp] = await outboxPayloadsOf(db, 'order-delivery.delivery.picked-up', delivery.id);
    expect(pickedUp?.data).toEqual({ deliveryId: delivery.id, orderId: order.orderId, storeId: store.storeId, courierId: mine.userId });
  });

  it('records a ready-for-pickup that arrives before the acceptance, and a late acceptance does not move the order back', async () => {
    const order = acceptedOrder(store.storeId);
    await readyForPickup(order);
    await broker.publish(buildEvent(OrderAccepted, order.orderId, order));
    const delivery = await deliveryOf(order.orderId);
    expect(await orderStatusOf(order.orderId)).toBe('READY_FOR_PICKUP');
    const mine = courier();
    await deliveries.act(delivery.id, 'claim', mine);
    expect(await deliveries.act(delivery.id, 'pickUp', mine)).toMatchObject({ status: 'PICKED_UP' });
  });
});

describe('cancelling', () => {
  it('cancels a requested delivery when its order is cancelled, once, and publishes DeliveryCancelled', async () => {
    const { order, delivery } = await requested();
    const event = cancelled(order);
    await Promise.all([broker.publish(event), broker.publish(event)]);
    await eventually(async () => expect((await db.delivery.findUniqueOrThrow({ where: { id: delivery.id } })).status).toBe('CANCELLED'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await historyOf(delivery.id)).toEqual(['REQUESTED', 'CANCELLED']);
    const announced = await outboxPayloadsOf(db, 'order-delivery.delivery.cancelled', delivery.id);
    expect(announced.map((payload) => payload.data)).toEqual([{ deliveryId: delivery.id, orderId: order.orderId, storeId: store.storeId, reason: 'changed my mind' }]);
    await expect(deliveries.act(delivery.id, 'claim', courier())).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('cancels a claimed delivery before pick-up', async () => {
    const { order, delivery } = await requested();
    await deliveries.act(delivery.id, 'claim', courier());
    await broker.publish(cancelled(order));
    await eventually(async () => expect(await historyOf(delivery.id)).toEqual(['REQUESTED', 'CLAIMED', 'CANCELLED']));
    expect(await db.delivery.findUniqueOrThrow({ where: { id: delivery.id } })).toMatchObject({ status: 'CANCELLED', cancelledAt: expect.any(Date), cancelReason: 'changed my mind' });
  });

  it('sends the goods back to the store when the cancellation comes after the pick-up: no delivery to a cancelled order', async () => {
    const { order, delivery } = await requested();
    const mine = courier();
    await deliveries.act(delivery.id, 'claim', mine);
    await readyForPickup(order);
    await deliveries.act(delivery.id, 'pickUp', mine);
    const event = cancelled(order, 'READY_FOR_PICKUP');
    await Promise.all([broker.publish(event), broker.publish(event)]);
    await eventually(async () => expect(await db.inboxEvent.count({ where: { eventId: event.id } })).toBe(1));
    expect(await db.delivery.findUniqueOrThrow({ where: { id: delivery.id } })).toMatchObject({ status: 'RETURNING', cancelledAt: expect.any(Date), cancelReason: 'changed my mind' });
    await expect(deliveries.act(delivery.id, 'deliver', mine)).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(deliveries.act(delivery.id, 'markReturned', courier())).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await deliveries.act(delivery.id, 'markReturned', mine)).toMatchObject({ status: 'RETURNED', returnedAt: expect.any(Date) });

    expect(await historyOf(delivery.id)).toEqual(['REQUESTED', 'CLAIMED', 'PICKED_UP', 'RETURNING', 'RETURNED']);
    expect(await outboxTypesOf(db, delivery.id)).toEqual([
      'order-delivery.delivery.requested',
      'order-delivery.delivery.claimed',
      'order-delivery.delivery.picked-up',
      'order-delivery.delivery.return-started',
      'order-delivery.delivery.returned',
    ]);
    const [returning] = await outboxPayloadsOf(db, 'order-delivery.delivery.return-started', delivery.id);
    expect(returning?.data).toEqual({ deliveryId: delivery.id, orderId: order.orderId, storeId: store.storeId, courierId: mine.userId, reason: 'changed my mind' });
  });

  it('remembers a cancellation that arrives before the acceptance, so the late acceptance creates nothing', async () => {
    const order = acceptedOrder(store.storeId);
    await broker.publish(cancelled(order, 'CONFIRMED'));
    await eventually(async () => expect(await orderStatusOf(order.orderId)).toBe('CANCELLED'));
    const late = buildEvent(OrderAccepted, order.orderId, order);
    await broker.publish(late);
    await eventually(async () => expect(await db.inboxEvent.count({ where: { eventId: late.id } })).toBe(1));
    expect(await db.delivery.count({ where: { orderId: order.orderId } })).toBe(0);
    expect(await orderStatusOf(order.orderId)).toBe('CANCELLED');
  });

  it('serialises a pick-up racing the cancellation: the delivery ends CANCELLED, or RETURNING after its pick-up, through legal steps only', async () => {
    for (let round = 0; round < 5; round += 1) {
      const { order, delivery } = await requested();
      const mine = courier();
      await deliveries.act(delivery.id, 'claim', mine);
      await readyForPickup(order);
      const [pickUp] = await Promise.all([
        codeOf(deliveries.act(delivery.id, 'pickUp', mine)),
        db.$transaction((tx) => deliveries.cancelForCancelledOrder(tx, order, randomUUID(), 'race')),
      ]);
      const steps = await historyOf(delivery.id);
      if (pickUp === 'ok') expect(steps).toEqual(['REQUESTED', 'CLAIMED', 'PICKED_UP', 'RETURNING']);
      else {
        expect(pickUp).toBe('CONFLICT');
        expect(steps).toEqual(['REQUESTED', 'CLAIMED', 'CANCELLED']);
      }
      expect(await orderStatusOf(order.orderId)).toBe('CANCELLED');
    }
  });

  it('parks an order event that contradicts what it knows about the order', async () => {
    const { order } = await requested();
    const impossible = cancelled({ ...order, storeId: randomUUID() });
    await broker.publish(impossible);
    const parked = await eventually(async () => {
      const found = (await listDeadLetters(broker, `${exchange}.${queue}`)).find((dead) => dead.eventId === impossible.id);
      expect(found).toBeDefined();
      return found!;
    });
    expect(parked.reason).toContain(`belongs to store ${store.storeId}`);
    expect((await db.delivery.findUniqueOrThrow({ where: { orderId: order.orderId } })).status).toBe('REQUESTED');
  });
});

describe('a deleted customer', () => {
  it("is removed from their deliveries, and the address of a finished one is erased, an open one's kept", async () => {
    const customerId = randomUUID();
    const open: DeliveryRow = (await requested(store.storeId, customerId)).delivery;
    const finished = await requested(store.storeId, customerId);
    await broker.publish(cancelled(finished.order));
    await eventually(async () => expect((await db.delivery.findUniqueOrThrow({ where: { id: finished.delivery.id } })).status).toBe('CANCELLED'));
    await broker.publish(buildEvent(AuthUserDeleted, customerId, { userId: customerId, deletedBy: customerId }));
    await eventually(async () => expect(await db.delivery.count({ where: { customerId } })).toBe(0));
    expect((await db.delivery.findUniqueOrThrow({ where: { id: finished.delivery.id } })).dropoffAddress).toBeNull();
    expect((await db.delivery.findUniqueOrThrow({ where: { id: open.id } })).dropoffAddress).not.toBeNull();
    expect(await db.projectedOrder.count({ where: { customerId } })).toBe(0);

    // The open one loses the address when it is finished.
    const mine = courier();
    await deliveries.act(open.id, 'claim', mine);
    await readyForPickup({ orderId: open.orderId, storeId: open.storeId, customerId: null });
    await deliveries.act(open.id, 'pickUp', mine);
    expect(await deliveries.act(open.id, 'deliver', mine)).toMatchObject({ status: 'DELIVERED', dropoffAddress: null, customerId: null });
  });
});
