import type { Principal } from '@x/kit';
import { terminalStatuses, type DeliveryStatus } from './delivery-status';

/** Who is involved in a delivery: order events name the customer, store events the store's owner. */
export interface DeliveryParties {
  status: DeliveryStatus;
  courierId: string | null;
  customerId: string | null;
  storeOwnerId: string | null;
}

export type Visibility = 'none' | 'open-for-claims' | 'party';

/**
 * What a caller may see of a delivery. Its courier, the order's customer, the store's owner and
 * hq_admin see all of it; any courier sees an open (REQUESTED) one without the recipient's address
 * (only the area), so couriers can choose before they claim.
 */
export function visibilityOf(delivery: DeliveryParties, caller: Principal): Visibility {
  const party =
    caller.roles.includes('hq_admin') ||
    (delivery.courierId !== null && delivery.courierId === caller.userId) ||
    (delivery.customerId !== null && delivery.customerId === caller.userId) ||
    (delivery.storeOwnerId !== null && delivery.storeOwnerId === caller.userId);
  if (party) return 'party';
  if (delivery.status === 'REQUESTED' && caller.roles.includes('courier')) return 'open-for-claims';
  return 'none';
}

/**
 * Whether the full drop-off address (recipient, street, phone) is kept. A deleted customer's address
 * goes as soon as the delivery is finished; until then the courier still needs it to hand the order over.
 */
export function keepsDropoffAddress(delivery: { status: DeliveryStatus; customerId: string | null }): boolean {
  return delivery.customerId !== null || !terminalStatuses.includes(delivery.status);
}
