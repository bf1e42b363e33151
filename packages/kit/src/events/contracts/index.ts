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
import { PickCreated } from './picks-pick-created';
import { PickDeleted } from './picks-pick-deleted';
import { PickUpdated } from './picks-pick-updated';
import { StockCommitted } from './picks-stock-committed';
import { StockRejected } from './picks-stock-rejected';
import { StockReleased } from './picks-stock-released';
import { StockReserved } from './picks-stock-reserved';
import { OrderPlaced } from './order-order-placed';
import { OrderConfirmed } from './order-order-confirmed';
import { OrderRejected } from './order-order-rejected';
import { OrderAccepted } from './order-order-accepted';
import { OrderReadyForPickup } from './order-order-ready-for-pickup';
import { OrderOutForDelivery } from './order-order-out-for-delivery';
import { OrderDelivered } from './order-order-delivered';
import { OrderCancelled } from './order-order-cancelled';
import { DeliveryRequested } from './order-delivery-delivery-requested';
import { DeliveryClaimed } from './order-delivery-delivery-claimed';
import { DeliveryPickedUp } from './order-delivery-delivery-picked-up';
import { DeliveryDelivered } from './order-delivery-delivery-delivered';
import { DeliveryCancelled } from './order-delivery-delivery-cancelled';
import { DeliveryReturnStarted } from './order-delivery-delivery-return-started';
import { DeliveryReturned } from './order-delivery-delivery-returned';
import { ContactAddressChanged } from './contact-infos-address-changed';
import { ContactCardErased } from './contact-infos-card-erased';
import { ContactEmailChanged } from './contact-infos-email-changed';
import { ContactPhoneChanged } from './contact-infos-phone-changed';

export { categorySnapshotSchema } from './category-shapes';
export { deliveryRefSchema } from './delivery-shapes';
export { pickSnapshotSchema } from './picks-shapes';
export { stockRejectionReasonSchema } from './picks-stock-rejected';
export { currencySchema, deliveryAddressSchema, orderRefSchema, pricedLineSchema, requestedLineSchema } from './order-shapes';
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
  OrderPlaced,
  OrderConfirmed,
  OrderRejected,
  OrderAccepted,
  OrderReadyForPickup,
  OrderOutForDelivery,
  OrderDelivered,
  OrderCancelled,
  DeliveryRequested,
  DeliveryClaimed,
  DeliveryPickedUp,
  DeliveryDelivered,
  DeliveryCancelled,
  DeliveryReturnStarted,
  DeliveryReturned,
  StockReserved,
  StockRejected,
  StockReleased,
  StockCommitted,
  PickCreated,
  PickUpdated,
  PickDeleted,
  ContactAddressChanged,
  ContactPhoneChanged,
  ContactEmailChanged,
  ContactCardErased,
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
  OrderPlaced,
  OrderConfirmed,
  OrderRejected,
  OrderAccepted,
  OrderReadyForPickup,
  OrderOutForDelivery,
  OrderDelivered,
  OrderCancelled,
  DeliveryRequested,
  DeliveryClaimed,
  DeliveryPickedUp,
  DeliveryDelivered,
  DeliveryCancelled,
  DeliveryReturnStarted,
  DeliveryReturned,
  StockReserved,
  StockRejected,
  StockReleased,
  StockCommitted,
  PickCreated,
  PickUpdated,
  PickDeleted,
  ContactAddressChanged,
  ContactPhoneChanged,
  ContactEmailChanged,
  ContactCardErased,
];
