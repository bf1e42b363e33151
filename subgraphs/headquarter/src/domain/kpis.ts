/** Order statuses as the order saga's events announce them. */
export const orderStatuses = ['PENDING', 'CONFIRMED', 'PREPARING', 'READY_FOR_PICKUP', 'OUT_FOR_DELIVERY', 'DELIVERED', 'REJECTED', 'CANCELLED'] as const;
export type OrderStatus = (typeof orderStatuses)[number];

/**
 * How far along the saga a status is. Retries and parallel handling deliver an order's events in any
 * order, so the KPIs move an order only forward: a late, earlier event changes nothing, and the final
 * counts do not depend on arrival order (which is what lets a replay equal the live run). Terminal
 * statuses share the top rank, so the first one seen stays.
 */
export const statusRank: Readonly<Record<OrderStatus, number>> = {
  PENDING: 0,
  CONFIRMED: 1,
  PREPARING: 2,
  READY_FOR_PICKUP: 3,
  OUT_FOR_DELIVERY: 4,
  DELIVERED: 5,
  REJECTED: 5,
  CANCELLED: 5,
};

/** What a delivered order adds to revenue and delivery times. */
export interface DeliveredOrder {
  /** UTC day of delivery, YYYY-MM-DD: the day its revenue counts for. */
  day: string;
  currency: string;
  totalMinor: number;
  /** From placed to delivered, in milliseconds. */
  deliveryMs: number;
}

/** The change one event makes to the KPIs, as data: the store layer applies it atomically and once. */
export type KpiEffect =
  | { kind: 'orderReached'; orderId: string; storeId: string; status: OrderStatus; delivered?: DeliveredOrder }
  | { kind: 'courierBusy'; deliveryId: string; courierId: string }
  | { kind: 'deliveryEnded'; deliveryId: string };

export function deliveredOrder(facts: { placedAt: string; deliveredAt: string; totalMinor: number; currency: string }): DeliveredOrder {
  const deliveredAt = new Date(facts.deliveredAt);
  return {
    day: dayOf(deliveredAt),
    currency: facts.currency,
    totalMinor: facts.totalMinor,
    // Two services' clocks: a skew must not make a delivery take negative time.
    deliveryMs: Math.max(0, deliveredAt.getTime() - new Date(facts.placedAt).getTime()),
  };
}

export const dayOf = (at: Date): string => at.toISOString().slice(0, 10);

/** Zero-based position of the 90th percentile in `count` ascending values (nearest-rank method). */
export function p90Index(count: number): number | null {
  return count === 0 ? null : Math.ceil(0.9 * count) - 1;
}

export const minutesOf = (ms: number): number => ms / 60_000;

/** Average minutes from a sum of milliseconds over `count` deliveries; null when there were none. */
export const averageMinutes = (totalMs: number, count: number): number | null => (count === 0 ? null : minutesOf(totalMs / count));
