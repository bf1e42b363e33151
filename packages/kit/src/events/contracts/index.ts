import type { EventDefinition } from '../envelope';
import { AuthUserDeleted } from './auth-user-deleted';
import { AuthUserRegistered } from './auth-user-registered';
import { AuthUserRoleGranted } from './auth-user-role-granted';
import { CategoryCreated } from './store-categories-category-created';
import { CategoryDeleted } from './store-categories-category-deleted';
import { CategoryUpdated } from './store-categories-category-updated';
import { StoreCreated } from './store-store-created';
import { StoreStatusChanged } from './store-store-status-changed';
import { StoreUpdated } from './store-store-updated';
import { UserProfileUpdated } from './user-profile-updated';

export { categorySnapshotSchema } from './category-shapes';
export { geoPointSchema, storeSnapshotSchema, storeStatusSchema, type StoreStatus } from './store-shapes';
export {
  AuthUserDeleted,
  AuthUserRegistered,
  AuthUserRoleGranted,
  CategoryCreated,
  CategoryDeleted,
  CategoryUpdated,
  StoreCreated,
  StoreStatusChanged,
  StoreUpdated,
  UserProfileUpdated,
};

/** Every event type of the platform, for docs, the audit trail and the check that types stay unique. */
export const eventCatalog: readonly EventDefinition[] = [
  AuthUserRegistered,
  AuthUserDeleted,
  AuthUserRoleGranted,
  UserProfileUpdated,
  StoreCreated,
  StoreUpdated,
  StoreStatusChanged,
  CategoryCreated,
  CategoryUpdated,
  CategoryDeleted,
];
