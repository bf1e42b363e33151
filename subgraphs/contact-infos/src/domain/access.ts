import { forbidden, isSelfOrAdmin, notFound, requirePrincipal, type Principal } from '@x/kit';
import type { Owner } from './contact-card';

/** contact-infos' projection of store events: who owns a store. */
export interface StoreOwnership {
  storeId: string;
  ownerId: string;
}

/**
 * Who may change a card: a user their own, a store's owner that store's, an hq_admin any (support
 * fixes a contact on request). A store is known only through its events, so a store this service has
 * not heard of yet is NOT_FOUND for everyone: there is no owner to compare with.
 */
export function authorizeCardChange(caller: Principal, owner: Owner, store: StoreOwnership | null): void {
  if (owner.type === 'store' && !store) {
    throw notFound(`no store ${owner.id} is known here (a store created a moment ago appears within seconds)`);
  }
  if (caller.roles.includes('hq_admin')) return;
  if (owner.type === 'user') {
    if (caller.userId !== owner.id) throw forbidden('only the user themself or an hq_admin can change their contact details');
    return;
  }
  if (store?.ownerId !== caller.userId) throw forbidden("only the store's owner or an hq_admin can change its contact details");
}

/** A user's addresses and phones are for the user themself and hq_admin (a store's contact is public). */
export function authorizeUserContactsRead(caller: Principal | null, userId: string): void {
  if (!isSelfOrAdmin(requirePrincipal(caller), userId)) throw forbidden("only the user themself or an hq_admin can see a user's addresses and phones");
}
