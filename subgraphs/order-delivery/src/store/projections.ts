import { PermanentEventError, type StoreStatus } from '@x/kit';
import { supersedes } from '@x/kit';
import { advancesOrder, type FollowedOrderStatus } from '../domain/projections';
import type { PrismaClient, Transaction } from './database';

interface StoreSnapshot {
  storeId: string;
  ownerId: string;
  status: StoreStatus;
  location: { lat: number; lng: number };
  revision?: number | undefined;
}

export interface StoreLocation {
  id: string;
  ownerId: string;
  lat: number;
  lng: number;
}

export interface OrderRef {
  orderId: string;
  storeId: string;
  customerId: string | null;
}

/**
 * order-delivery's projections of other services' facts: where stores are (pickup points, owners),
 * fed by store.store.* events, and how far orders are, fed by order.order.* events. Written in the
 * consumer's transaction, beside the inbox row that makes a redelivery a no-op.
 */
export class Projections {
  constructor(private readonly db: PrismaClient) {}

  /** Applies a store snapshot unless the row already holds a newer one. */
  async applyStore(tx: Transaction, snapshot: StoreSnapshot, eventTime: Date): Promise<void> {
    const revision = snapshot.revision ?? null;
    const fields = { ownerId: snapshot.ownerId, status: snapshot.status, lat: snapshot.location.lat, lng: snapshot.location.lng, revision, snapshotAt: eventTime };
    // Insert-or-keep takes the row's exclusive lock at once: a SELECT … FOR UPDATE of a missing row
    // would take a gap lock, and two handlers inserting into one gap deadlock.
    await tx.$executeRaw`
      INSERT INTO stores (id, owner_id, status, lat, lng, revision, snapshot_at)
      VALUES (${snapshot.storeId}, ${fields.ownerId}, ${fields.status}, ${fields.lat}, ${fields.lng}, ${revision}, ${eventTime})
      ON DUPLICATE KEY UPDATE id = id`;
    const [held] = await tx.$queryRaw<{ revision: number | bigint | null; snapshot_at: Date }[]>`
      SELECT revision, snapshot_at FROM stores WHERE id = ${snapshot.storeId} FOR UPDATE`;
    if (!held) throw new Error(`store ${snapshot.storeId} vanished from the projection`);
    const heldVersion = { revision: held.revision === null ? null : Number(held.revision), at: new Date(held.snapshot_at) };
    // A row just inserted holds this very snapshot; re-applying it changes nothing.
    if (!supersedes({ revision, at: eventTime }, heldVersion)) return;
    await tx.projectedStore.update({ where: { id: snapshot.storeId }, data: fields });
  }

  findStore(tx: Transaction, storeId: string): Promise<StoreLocation | null> {
    return tx.projectedStore.findUnique({ where: { id: storeId }, select: { id: true, ownerId: true, lat: true, lng: true } });
  }

  findStores(ids: readonly string[]): Promise<StoreLocation[]> {
    return this.db.projectedStore.findMany({ where: { id: { in: [...ids] } }, select: { id: true, ownerId: true, lat: true, lng: true } });
  }

  /**
   * Moves the order's projected status on (never back), under a row lock that serialises every
   * handler and pick-up of the order. Returns the status held afterwards. Order events that disagree
   * about the order's store cannot both be true: such an event is parked.
   */
  async advanceOrder(tx: Transaction, ref: OrderRef, status: FollowedOrderStatus): Promise<string> {
    // As in applyStore: lock by insert-or-keep, never by a locking read of a missing row (gap lock).
    await tx.$executeRaw`
      INSERT INTO orders (id, store_id, customer_id, status, updated_at) VALUES (${ref.orderId}, ${ref.storeId}, ${ref.customerId}, ${status}, NOW(3))
      ON DUPLICATE KEY UPDATE id = id`;
    // The affected-row count cannot tell an insert from a kept row (the driver counts found rows):
    // a row just inserted holds `status`, which then does not advance and is returned as held.
    const [held] = await tx.$queryRaw<{ status: string; store_id: string }[]>`SELECT status, store_id FROM orders WHERE id = ${ref.orderId} FOR UPDATE`;
    if (!held) throw new Error(`order ${ref.orderId} vanished from the projection`);
    if (held.store_id !== ref.storeId) throw new PermanentEventError(`order ${ref.orderId} belongs to store ${held.store_id}, the event says ${ref.storeId}`);
    if (!advancesOrder(held.status, status)) return held.status;
    await tx.projectedOrder.update({ where: { id: ref.orderId }, data: { status } });
    return status;
  }

  /**
   * The order's projected status under a shared lock: a pick-up holds it until it commits, so an
   * order.order.cancelled handled meanwhile waits for it and then sees the picked-up delivery.
   */
  async orderStatusForShare(tx: Transaction, orderId: string): Promise<string | null> {
    const [row] = await tx.$queryRaw<{ status: string }[]>`SELECT status FROM orders WHERE id = ${orderId} LOCK IN SHARE MODE`;
    return row?.status ?? null;
  }

  async orderStatus(tx: Transaction, orderId: string): Promise<string | null> {
    return (await tx.projectedOrder.findUnique({ where: { id: orderId }, select: { status: true } }))?.status ?? null;
  }

  async anonymiseCustomer(tx: Transaction, customerId: string): Promise<void> {
    await tx.projectedOrder.updateMany({ where: { customerId }, data: { customerId: null } });
  }
}
