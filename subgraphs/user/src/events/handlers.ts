import { AuthUserDeleted, AuthUserRegistered, on, subscriptionsFor, type EventDefinition, type Subscription } from '@x/kit';
import type { Transaction } from '../store/database';
import type { ProfileStore } from '../store/profiles';

/** The events this service consumes; its subscriptions below are checked against this list, and the AsyncAPI document reads it. */
export const consumedEvents: readonly EventDefinition[] = [AuthUserRegistered, AuthUserDeleted];

/** What the user service does with other services' events. */
export function profileSubscriptions(profiles: ProfileStore): Subscription<Transaction>[] {
  return subscriptionsFor(consumedEvents, [
    on(AuthUserRegistered, async function createProfileForRegisteredUser(event, tx: Transaction) {
      await profiles.createIfAbsent(tx, event.data.userId, event.data.displayName);
    }),
    on(AuthUserDeleted, async function eraseProfileOfDeletedUser(event, tx: Transaction) {
      await profiles.erase(tx, event.data.userId);
    }),
  ]);
}
