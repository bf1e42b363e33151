import type { EventDefinition } from '../envelope';
import { AuthUserDeleted } from './auth-user-deleted';
import { AuthUserRegistered } from './auth-user-registered';
import { AuthUserRoleGranted } from './auth-user-role-granted';
import { UserProfileUpdated } from './user-profile-updated';

export { AuthUserDeleted, AuthUserRegistered, AuthUserRoleGranted, UserProfileUpdated };

/** Every event type of the platform, for docs, the audit trail and the check that types stay unique. */
export const eventCatalog: readonly EventDefinition[] = [AuthUserRegistered, AuthUserDeleted, AuthUserRoleGranted, UserProfileUpdated];
