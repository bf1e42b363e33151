import type { Database } from './database';

export interface StoreOwnerRow {
  storeId: string;
  ownerId: string;
}

/** Reads order's projection of who owns which store. */
export async function findStoreOwners(db: Database, storeIds: readonly string[]): Promise<StoreOwnerRow[]> {
  if (storeIds.length === 0) return [];
  return db.selectFrom('storeOwners').select(['storeId', 'ownerId']).where('storeId', 'in', storeIds).execute();
}
