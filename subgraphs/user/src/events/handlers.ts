import { AuthUserDeleted, AuthUserRegistered, on, type Subscription } from '@x/kit';
import type { ProfileStore, Transaction } from '../store/profiles';

/** What the user service does with other services' events. */
export function profileSubscriptions(profiles: ProfileStore): Subscription<Transaction>[] {
  return [
    on(AuthUserRegistered, async function createProfileForRegisteredUser(event, tx: Transaction) {
      await profiles.createIfAbsent(tx, event.data.userId, event.data.displayName);
    }),
    on(AuthUserDeleted, async function eraseProfileOfDeletedUser(event, tx: Transaction) {
      await profiles.erase(tx, event.data.userId);
    }),
  ];
}
