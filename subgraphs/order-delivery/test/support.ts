// Helpers for order-delivery's integration tests: a fresh MariaDB database per file, and stores,
// orders and deliveries written through the same store code the event handlers use.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createLogger, mariadbAdapter } from '@x/kit';
import { createTestDatabase } from '@x/kit/testing';
import { PrismaClient } from '../src/store/database';
import type { DeliveryRow, DeliveryStore, DropoffAddress } from '../src/store/deliveries';
import type { Projections } from '../src/store/projections';

export const migrationsDir = path.resolve(__dirname, '../../../prisma/order-delivery/migrations');
export const testLog = createLogger('order-delivery-test', process.env.TEST_LOG_LEVEL ?? 'silent');

export type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;

export async function openTestDatabase(label: string): Promise<{ database: TestDatabase; db: PrismaClient }> {
  const database = await createTestDatabase(`order_delivery_${label}`, migrationsDir);
  return { database, db: new PrismaClient({ adapter: mariadbAdapter(database.url, 10) }) };
}

export const address: DropoffAddress = {
  recipient: 'Ada Lovelace',
  lines: ['12 Analytical Street'],
  city: 'London',
  postalCode: 'N1 9GU',
  country: 'GB',
  location: { lat: 51.53, lng: -0.1 },
  phone: '+442071234567',
};

export function storeSnapshot(overrides: { storeId?: string; ownerId?: string; location?: { lat: number; lng: number }; revision?: number } = {}) {
  return {
    storeId: overrides.storeId ?? randomUUID(),
    ownerId: overrides.ownerId ?? randomUUID(),
    name: 'Corner shop',
    status: 'OPEN' as const,
    categoryIds: [],
    city: 'London',
    location: overrides.location ?? { lat: 51.5074, lng: -0.1278 },
    ...(overrides.revision === undefined ? {} : { revision: overrides.revision }),
  };
}

export function acceptedOrder(storeId: string, overrides: { orderId?: string; customerId?: string | null } = {}) {
  return {
    orderId: overrides.orderId ?? randomUUID(),
    customerId: overrides.customerId === undefined ? randomUUID() : overrides.customerId,
    storeId,
    deliveryAddress: address,
    totalMinor: 1500,
    currency: 'EUR',
  };
}

/** A store in the projection, as store.store.created would leave it. */
export async function seedStore(db: PrismaClient, projections: Projections, overrides: Parameters<typeof storeSnapshot>[0] = {}) {
  const snapshot = storeSnapshot(overrides);
  await db.$transaction((tx) => projections.applyStore(tx, snapshot, new Date()));
  return snapshot;
}

/** A REQUESTED delivery, as order.order.accepted would leave it. */
export async function seedDelivery(db: PrismaClient, deliveries: DeliveryStore, storeId: string, overrides: { customerId?: string | null } = {}): Promise<DeliveryRow> {
  const order = acceptedOrder(storeId, overrides);
  const delivery = await db.$transaction((tx) =>
    deliveries.requestForAcceptedOrder(tx, { orderId: order.orderId, storeId, customerId: order.customerId, dropoff: order.deliveryAddress }, randomUUID()),
  );
  if (!delivery) throw new Error('no delivery was requested');
  return delivery;
}

/** The order's projection moved to READY_FOR_PICKUP, as order.order.ready-for-pickup would. */
export async function markOrderReady(db: PrismaClient, projections: Projections, delivery: DeliveryRow): Promise<void> {
  await db.$transaction((tx) => projections.advanceOrder(tx, { orderId: delivery.orderId, storeId: delivery.storeId, customerId: delivery.customerId }, 'READY_FOR_PICKUP'));
}

/** Retries a check until it passes or ten seconds pass (then throws its last error). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** The types of the outbox events about `subject`, oldest first. */
export async function outboxTypesOf(db: PrismaClient, subject: string): Promise<string[]> {
  const rows = await db.outboxEvent.findMany({ orderBy: { seq: 'asc' }, select: { type: true, payload: true } });
  return rows.filter((row) => (JSON.parse(row.payload) as { subject: string }).subject === subject).map((row) => row.type);
}

export async function outboxPayloadsOf(db: PrismaClient, type: string, subject: string): Promise<{ data: Record<string, unknown> }[]> {
  const rows = await db.outboxEvent.findMany({ where: { type }, orderBy: { seq: 'asc' }, select: { payload: true } });
  return rows.map((row) => JSON.parse(row.payload) as { subject: string; data: Record<string, unknown> }).filter((payload) => payload.subject === subject);
}
