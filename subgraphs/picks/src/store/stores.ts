import { storeStatusSchema, supersedes } from '@x/kit';
import type { StoreFacts } from '../domain/access';
import { sql } from 'kysely';
import type { Database, Transaction } from './database';

export interface StoreSnapshot {
  storeId: string;
  ownerId: string;
  status: StoreFacts['status'];
  revision?: number | undefined;
}

/** picks' projection of the store service's stores: owner and status, fed by store.store.* events. */
export class StoreDirectory {
  constructor(private readonly db: Database) {}

  async findByIds(ids: readonly string[]): Promise<StoreFacts[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.selectFrom('stores').select(['id', 'ownerId', 'status']).where('id', 'in', ids).execute();
    return rows.map((row) => ({ id: row.id, ownerId: row.ownerId, status: storeStatusSchema.parse(row.status) }));
  }

  /**
   * Applies a snapshot unless the row already reflects a newer one (events can arrive out of order
   * after retries). Returns whether it changed the row. Runs in the consumer's transaction, beside
   * the inbox row that makes a redelivery a no-op.
   */
  async apply(tx: Transaction, snapshot: StoreSnapshot, eventTime: Date): Promise<boolean> {
    const revision = snapshot.revision ?? null;
    const inserted = await tx
      .insertInto('stores')
      .ignore()
      .values({ id: snapshot.storeId, ownerId: snapshot.ownerId, status: snapshot.status, revision, snapshotAt: eventTime, updatedAt: sql`NOW(3)` })
      .executeTakeFirst();
    if (inserted.numInsertedOrUpdatedRows === 1n) return true;
    const held = await tx.selectFrom('stores').select(['revision', 'snapshotAt']).where('id', '=', snapshot.storeId).forUpdate().executeTakeFirst();
    if (!held) throw new Error(`store ${snapshot.storeId} vanished from the projection`);
    if (!supersedes({ revision, at: eventTime }, { revision: held.revision, at: held.snapshotAt })) return false;
    await tx
      .updateTable('stores')
      .set({ ownerId: snapshot.ownerId, status: snapshot.status, revision, snapshotAt: eventTime, updatedAt: sql`NOW(3)` })
      .where('id', '=', snapshot.storeId)
      .execute();
    return true;
  }
}
