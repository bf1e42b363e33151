import type { Principal, StoreStatus } from '@x/kit';

/** What picks knows of a store (its projection of store events). */
export interface StoreFacts {
  id: string;
  ownerId: string;
  status: StoreStatus;
}

export interface Viewer {
  userId: string | null;
  isHqAdmin: boolean;
}

export function viewerOf(principal: Principal | null): Viewer {
  return { userId: principal?.userId ?? null, isHqAdmin: principal?.roles.includes('hq_admin') ?? false };
}

/** Only the store's owner adds, edits and restocks its picks. */
export function canManagePicks(viewer: Viewer, store: StoreFacts): boolean {
  return viewer.userId !== null && viewer.userId === store.ownerId;
}

/** Removing a pick is also open to hq_admin, who moderates the marketplace. */
export function canDeletePick(viewer: Viewer, store: StoreFacts): boolean {
  return canManagePicks(viewer, store) || viewer.isHqAdmin;
}

/** The owner and hq_admin see a store's whole catalog, whatever the store's status; the public does not. */
export function seesWholeCatalog(viewer: Viewer, store: StoreFacts): boolean {
  return viewer.isHqAdmin || canManagePicks(viewer, store);
}

/** The public sees the available picks of OPEN stores only. */
export function canSeePick(viewer: Viewer, store: StoreFacts | null, pick: { available: boolean }): boolean {
  if (!store) return viewer.isHqAdmin;
  return seesWholeCatalog(viewer, store) || (store.status === 'OPEN' && pick.available);
}
