import { storeStatusSchema, supersedes } from '@x/kit';
import type { StoreFacts } from '../domain/access';
import type { PrismaClient, Transaction } from './database';

export interface StoreSnapshot {
  storeId: string;
  ownerId: string;
  status: StoreFacts['status'];
  revision?: number | undefined;
}

/** picks' projection of the store service's stores: owner and status, fed by store.store.* events. */
export class StoreDirectory {
  constructor(private readonly db: PrismaClient) {}

  async findByIds(ids: readonly string[]): Promise<StoreFacts[]> {
    const rows = await this.db.projectedStore.findMany({ where: { id: { in: [...ids] } }, select: { id: true, ownerId: true, status: true } });
    return rows.map((row) => ({ id: row.id, ownerId: row.ownerId, status: storeStatusSchema.parse(row.status) }));
  }

  /**
   * Applies a snapshot unless the row already reflects a newer one (events can arrive out of order
   * after retries). Returns whether it changed the row. Runs in the consumer's transaction, beside
   * the inbox row that makes a redelivery a no-op.
   */
  async apply(tx: Transaction, snapshot: StoreSnapshot, eventTime: Date): Promise<boolean> {
    const revision = snapshot.revision ?? null;
    const inserted = await tx.$executeRaw`
      INSERT IGNORE INTO stores (id, owner_id, status, revision, snapshot_at, updated_at)
      VALUES (${snapshot.storeId}, ${snapshot.ownerId}, ${snapshot.status}, ${revision}, ${eventTime}, NOW(3))`;
    if (inserted === 1) return true;
    const [held] = await tx.$queryRaw<{ revision: number | bigint | null; snapshot_at: Date }[]>`
      SELECT revision, snapshot_at FROM stores WHERE id = ${snapshot.storeId} FOR UPDATE`;
    if (!held) throw new Error(`store ${snapshot.storeId} vanished from the projection`);
    const heldVersion = { revision: held.revision === null ? null : Number(held.revision), at: new Date(held.snapshot_at) };
    if (!supersedes({ revision, at: eventTime }, heldVersion)) return false;
    await tx.projectedStore.update({
      where: { id: snapshot.storeId },
      data: { ownerId: snapshot.ownerId, status: snapshot.status, revision, snapshotAt: eventTime },
    });
    return true;
  }
}
