/** The order statuses order-delivery follows, in the order the saga reaches them. */
const followedOrderStatuses = ['PREPARING', 'READY_FOR_PICKUP', 'CANCELLED'] as const;
export type FollowedOrderStatus = (typeof followedOrderStatuses)[number];

/**
 * Whether an order event moves the projected status on. Retries reorder events, so a late one (an
 * acceptance after the order was marked ready or cancelled) must not move it back; CANCELLED is final.
 */
export function advancesOrder(held: string | null, incoming: FollowedOrderStatus): boolean {
  if (held === null) return true;
  const rank = followedOrderStatuses.indexOf(held as FollowedOrderStatus);
  return rank === -1 || followedOrderStatuses.indexOf(incoming) > rank;
}

