import type { stockRejectionReasonSchema, StoreStatus } from '@x/kit';
import type { z } from 'zod';

export type StockRejectionReason = z.infer<typeof stockRejectionReasonSchema>;

export interface RequestedLine {
  pickId: string;
  quantity: number;
}

export interface PricedLine extends RequestedLine {
  unitPriceMinor: number;
  currency: string;
}

export interface Rejection {
  pickId: string;
  reason: StockRejectionReason;
  requested: number;
  available: number;
}

/** A pick as the reservation sees it, read under its row lock. */
export interface LockedPick {
  id: string;
  storeId: string;
  priceMinor: number;
  currency: string;
  stock: number;
  reserved: number;
  available: boolean;
  deleted: boolean;
}

export type ReservationDecision =
  | { kind: 'reserved'; lines: PricedLine[]; totalMinor: number; currency: string }
  | { kind: 'rejected'; reasons: Rejection[] };

/**
 * Quantity per pick, summed over the order's lines: an order with two lines of one pick needs their
 * sum in stock, not each line alone (medusa #16569 checked lines one by one and oversold).
 * Sorted by pick id, the order in which rows are locked, so two orders never lock in opposite orders.
 */
export function quantitiesByPick(lines: readonly RequestedLine[]): { pickId: string; quantity: number }[] {
  const sums = new Map<string, number>();
  for (const line of lines) sums.set(line.pickId, (sums.get(line.pickId) ?? 0) + line.quantity);
  return [...sums.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([pickId, quantity]) => ({ pickId, quantity }));
}

/**
 * All lines or none. The order's currency is that of its first line whose pick exists in the store;
 * each failing pick gets one reason, the first of: UNKNOWN_PICK, WRONG_STORE, STORE_NOT_OPEN,
 * UNAVAILABLE, CURRENCY_MISMATCH, OUT_OF_STOCK. Prices are picks' own, never the order's.
 */
export function decideReservation(input: {
  storeId: string;
  storeStatus: StoreStatus | null;
  lines: readonly RequestedLine[];
  picks: ReadonlyMap<string, LockedPick>;
}): ReservationDecision {
  const { storeId, storeStatus, lines, picks } = input;
  const inStore = (pickId: string) => {
    const pick = picks.get(pickId);
    return pick && !pick.deleted && pick.storeId === storeId ? pick : undefined;
  };
  const currency = lines.map((line) => inStore(line.pickId)?.currency).find((code) => code !== undefined);

  const reasons: Rejection[] = [];
  for (const { pickId, quantity } of quantitiesByPick(lines)) {
    const pick = picks.get(pickId);
    const orderable = pick ? Math.max(0, pick.stock - pick.reserved) : 0;
    const reject = (reason: StockRejectionReason, available: number) => reasons.push({ pickId, reason, requested: quantity, available });
    if (!pick || pick.deleted) reject('UNKNOWN_PICK', 0);
    else if (pick.storeId !== storeId) reject('WRONG_STORE', 0);
    else if (storeStatus !== 'OPEN') reject('STORE_NOT_OPEN', 0);
    else if (!pick.available) reject('UNAVAILABLE', 0);
    else if (pick.currency !== currency) reject('CURRENCY_MISMATCH', orderable);
    else if (quantity > orderable) reject('OUT_OF_STOCK', orderable);
  }
  if (reasons.length > 0 || currency === undefined) return { kind: 'rejected', reasons };

  const priced = lines.map((line) => {
    const pick = inStore(line.pickId)!;
    return { pickId: line.pickId, quantity: line.quantity, unitPriceMinor: pick.priceMinor, currency: pick.currency };
  });
  return { kind: 'reserved', lines: priced, totalMinor: priced.reduce((sum, line) => sum + line.quantity * line.unitPriceMinor, 0), currency };
}
