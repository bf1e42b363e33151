import {
  AuthUserDeleted,
  on,
  StoreCreated,
  StoreStatusChanged,
  StoreUpdated,
  subscriptionsFor,
  type EventDefinition,
  type Subscription,
} from '@x/kit';
import type { ClientSession } from 'mongoose';
import type { ContactCards } from '../store/contact-cards';
import type { StoreOwners } from '../store/store-owners';

/** The events this service consumes; its subscriptions below are checked against this list, and the AsyncAPI document reads it. */
export const consumedEvents: readonly EventDefinition[] = [StoreCreated, StoreUpdated, StoreStatusChanged, AuthUserDeleted];

/** What contact-infos does with other services' events: store ownership for authorization, erasure of deleted accounts. */
export function contactSubscriptions(cards: Pick<ContactCards, 'eraseUser'>, storeOwners: Pick<StoreOwners, 'apply'>): Subscription<ClientSession>[] {
  return subscriptionsFor(consumedEvents, [
    on(StoreCreated, async function recordOwnerOfCreatedStore(event, session: ClientSession) {
      await storeOwners.apply(session, event.data, new Date(event.time));
    }),
    on(StoreUpdated, async function recordOwnerOfUpdatedStore(event, session: ClientSession) {
      await storeOwners.apply(session, event.data, new Date(event.time));
    }),
    on(StoreStatusChanged, async function recordOwnerOfStoreWithNewStatus(event, session: ClientSession) {
      await storeOwners.apply(session, event.data, new Date(event.time));
    }),
    on(AuthUserDeleted, async function eraseContactsOfDeletedUser(event, session: ClientSession) {
      await cards.eraseUser(session, event.data.userId);
    }),
  ]);
}
