import type { PrismaClient } from './generated/client';

export interface StoreOwnerRow {
  storeId: string;
  ownerId: string;
}

/** Reads order's projection of who owns which store. */
export function findStoreOwners(db: PrismaClient, storeIds: readonly string[]): Promise<StoreOwnerRow[]> {
  return db.storeOwner.findMany({ where: { storeId: { in: [...storeIds] } }, select: { storeId: true, ownerId: true } });
}
