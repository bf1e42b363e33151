import type { StoreStatus } from '@x/kit';

/**
 * Whether a store snapshot should replace the one held. Retry queues can deliver an older snapshot
 * after a newer one; its lower revision makes it a no-op. A snapshot without a revision (older
 * producers) is applied, as the latest word.
 */
export function isNewerSnapshot(heldRevision: number | null, incomingRevision: number | undefined): boolean {
  if (incomingRevision === undefined || heldRevision === null) return true;
  return incomingRevision > heldRevision;
}

export interface CategoryStoreCounts {
  /** Stores a visitor finds under the category: OPEN or CLOSED (the store service lists both publicly). */
  storeCount: number;
  /** Of those, the OPEN ones. */
  openStoreCount: number;
  /** Every linked store whatever its status, pending and suspended included: what blocks deletion. */
  linkedStoreCount: number;
}

const listedStatuses: ReadonlySet<string> = new Set<StoreStatus>(['OPEN', 'CLOSED']);

/** Folds per-status link counts of one category into the numbers the API exposes. */
export function countsFromStatuses(byStatus: readonly { status: string; stores: number }[]): CategoryStoreCounts {
  const counts: CategoryStoreCounts = { storeCount: 0, openStoreCount: 0, linkedStoreCount: 0 };
  for (const { status, stores } of byStatus) {
    counts.linkedStoreCount += stores;
    if (listedStatuses.has(status)) counts.storeCount += stores;
    if (status === 'OPEN') counts.openStoreCount += stores;
  }
  return counts;
}
