import { buildEvent, enqueueEvent, requestedLineSchema, StockCommitted, StockRejected, StockReleased, StockReserved, storeStatusSchema } from '@x/kit';
import { z } from 'zod';
import { decideReservation, quantitiesByPick, type LockedPick, type PricedLine, type Rejection, type RequestedLine } from '../domain/reservation';
import { asNumber, inList, lockingTransaction, type PrismaClient, type Transaction } from './database';

const reservationStateSchema = z.enum(['RESERVED', 'REJECTED', 'RELEASED', 'COMMITTED']);
export type ReservationState = z.infer<typeof reservationStateSchema>;

interface ReservationBase {
  orderId: string;
  storeId: string;
  /** Where the reservation stands now. */
  state: ReservationState;
  /** True when an earlier call already decided this order: nothing was changed and no event written. */
  replayed: boolean;
}

/** What picks answered an order: reserved (with its prices), rejected (with reasons), or nothing (released before it came). */
export type ReservationResult = ReservationBase &
  (
    | { outcome: 'RESERVED'; lines: PricedLine[]; totalMinor: number; currency: string }
    | { outcome: 'REJECTED'; reasons: Rejection[] }
    | { outcome: 'NONE' }
  );

export type ReleaseResult = 'released' | 'already-released' | 'released-before-reserved' | 'nothing-reserved' | 'already-committed';
export type CommitResult = 'committed' | 'already-committed' | 'not-reserved' | 'unknown-order';

const reserveArgs = z.object({ orderId: z.uuid(), storeId: z.uuid(), lines: z.array(requestedLineSchema).min(1).max(50) });

interface LockedPickRow {
  id: string;
  store_id: string;
  price_minor: unknown;
  currency: string;
  stock: unknown;
  reserved: unknown;
  available: unknown;
  deleted: unknown;
}

/**
 * Stock reservations for the order saga. Each operation runs in one transaction: the order's
 * reservation row first (which serialises calls for the same order), then the picks' rows with
 * `SELECT … FOR UPDATE` in id order (so concurrent orders never lock in opposite orders). Stock and
 * reserved change only here and only under those locks; the database's CHECKs refuse an oversell.
 *
 * The `…InTransaction` forms run inside a caller's transaction (the event consumer's, beside its
 * inbox row); the others open their own and wake the outbox relay after the commit.
 */
export class ReservationStore {
  constructor(
    private readonly db: PrismaClient,
    private readonly relay: { wake(): void },
  ) {}

  async reserveStockForOrder(orderId: string, storeId: string, lines: readonly RequestedLine[]): Promise<ReservationResult> {
    const result = await this.db.$transaction((tx) => this.reserveInTransaction(tx, orderId, storeId, lines), lockingTransaction);
    if (!result.replayed) this.relay.wake();
    return result;
  }

  async releaseReservation(orderId: string, storeId: string): Promise<ReleaseResult> {
    const result = await this.db.$transaction((tx) => this.releaseInTransaction(tx, orderId, storeId), lockingTransaction);
    if (result === 'released') this.relay.wake();
    return result;
  }

  async commitReservation(orderId: string): Promise<CommitResult> {
    const result = await this.db.$transaction((tx) => this.commitInTransaction(tx, orderId), lockingTransaction);
    if (result === 'committed') this.relay.wake();
    return result;
  }

  /**
   * Reserves all lines or none, at picks' prices, and writes picks.stock.reserved or
   * picks.stock.rejected. Idempotent per order: a repeated call returns the first answer untouched.
   */
  async reserveInTransaction(tx: Transaction, orderId: string, storeId: string, lines: readonly RequestedLine[]): Promise<ReservationResult> {
    const args = reserveArgs.parse({ orderId, storeId, lines });
    // Claims the order: a concurrent call for the same order waits here until this one commits, then replays it.
    const claimed = await tx.$executeRaw`
      INSERT IGNORE INTO reservations (order_id, store_id, state, outcome, updated_at)
      VALUES (${orderId}, ${storeId}, 'PENDING', 'NONE', NOW(3))`;
    if (claimed === 0) return this.replay(tx, orderId);

    const picks = await this.lockPicks(tx, quantitiesByPick(args.lines).map((line) => line.pickId));
    const [store] = await tx.$queryRaw<{ status: string }[]>`SELECT status FROM stores WHERE id = ${storeId} LOCK IN SHARE MODE`;
    const decision = decideReservation({ storeId, storeStatus: store ? storeStatusSchema.parse(store.status) : null, lines: args.lines, picks });

    if (decision.kind === 'rejected') {
      await tx.reservation.update({ where: { orderId }, data: { state: 'REJECTED', outcome: 'REJECTED', reasons: JSON.stringify(decision.reasons) } });
      await enqueueEvent(tx, buildEvent(StockRejected, orderId, { orderId, storeId, reasons: decision.reasons }));
      return { orderId, storeId, state: 'REJECTED', replayed: false, outcome: 'REJECTED', reasons: decision.reasons };
    }

    for (const { pickId, quantity } of quantitiesByPick(decision.lines)) {
      await tx.$executeRaw`UPDATE picks SET reserved = reserved + ${quantity} WHERE id = ${pickId}`;
    }
    await tx.reservationLine.createMany({ data: decision.lines.map((line, index) => ({ orderId, lineNo: index + 1, ...line })) });
    await tx.reservation.update({
      where: { orderId },
      data: { state: 'RESERVED', outcome: 'RESERVED', totalMinor: BigInt(decision.totalMinor), currency: decision.currency },
    });
    const { lines: priced, totalMinor, currency } = decision;
    await enqueueEvent(tx, buildEvent(StockReserved, orderId, { orderId, storeId, lines: priced, totalMinor, currency }));
    return { orderId, storeId, state: 'RESERVED', replayed: false, outcome: 'RESERVED', lines: priced, totalMinor, currency };
  }

  /**
   * Gives a reserved order's stock back (cancelled or declined) and writes picks.stock.released.
   * An order picks has not seen yet is remembered as released, so its late placement reserves nothing.
   */
  async releaseInTransaction(tx: Transaction, orderId: string, storeId: string): Promise<ReleaseResult> {
    const tombstone = await tx.$executeRaw`
      INSERT IGNORE INTO reservations (order_id, store_id, state, outcome, updated_at)
      VALUES (${orderId}, ${storeId}, 'RELEASED', 'NONE', NOW(3))`;
    if (tombstone === 1) return 'released-before-reserved';
    const reservation = await this.lockReservation(tx, orderId);
    if (!reservation) throw new Error(`reservation of order ${orderId} vanished`);
    if (reservation.state === 'RELEASED') return 'already-released';
    if (reservation.state === 'COMMITTED') return 'already-committed';
    if (reservation.state !== 'RESERVED') return 'nothing-reserved';

    const lines = await this.linesOf(tx, orderId);
    const sums = quantitiesByPick(lines);
    await this.lockPicks(tx, sums.map((line) => line.pickId));
    for (const { pickId, quantity } of sums) {
      await tx.$executeRaw`UPDATE picks SET reserved = reserved - ${quantity} WHERE id = ${pickId}`;
    }
    await tx.reservation.update({ where: { orderId }, data: { state: 'RELEASED' } });
    await enqueueEvent(tx, buildEvent(StockReleased, orderId, { orderId, storeId: reservation.storeId, lines }));
    return 'released';
  }

  /** Takes a delivered order's reserved units out of stock for good and writes picks.stock.committed. */
  async commitInTransaction(tx: Transaction, orderId: string): Promise<CommitResult> {
    const reservation = await this.lockReservation(tx, orderId);
    if (!reservation) return 'unknown-order';
    if (reservation.state === 'COMMITTED') return 'already-committed';
    if (reservation.state !== 'RESERVED') return 'not-reserved';

    const lines = await this.linesOf(tx, orderId);
    const sums = quantitiesByPick(lines);
    await this.lockPicks(tx, sums.map((line) => line.pickId));
    for (const { pickId, quantity } of sums) {
      await tx.$executeRaw`UPDATE picks SET stock = stock - ${quantity}, reserved = reserved - ${quantity} WHERE id = ${pickId}`;
    }
    await tx.reservation.update({ where: { orderId }, data: { state: 'COMMITTED' } });
    await enqueueEvent(tx, buildEvent(StockCommitted, orderId, { orderId, storeId: reservation.storeId, lines }));
    return 'committed';
  }

  async findByOrderId(orderId: string): Promise<ReservationResult | null> {
    return this.db.$transaction((tx) => this.read(tx, orderId, false));
  }

  private async replay(tx: Transaction, orderId: string): Promise<ReservationResult> {
    const result = await this.read(tx, orderId, true);
    if (!result) throw new Error(`reservation of order ${orderId} vanished`);
    return result;
  }

  private async read(tx: Transaction, orderId: string, replayed: boolean): Promise<ReservationResult | null> {
    const row = await tx.reservation.findUnique({ where: { orderId }, include: { lines: { orderBy: { lineNo: 'asc' } } } });
    if (!row) return null;
    const base = { orderId, storeId: row.storeId, state: reservationStateSchema.parse(row.state), replayed };
    if (row.outcome === 'RESERVED') {
      const lines = row.lines.map(({ pickId, quantity, unitPriceMinor, currency }) => ({ pickId, quantity, unitPriceMinor, currency }));
      return { ...base, outcome: 'RESERVED', lines, totalMinor: Number(row.totalMinor), currency: row.currency! };
    }
    if (row.outcome === 'REJECTED') return { ...base, outcome: 'REJECTED', reasons: StockRejected.data.shape.reasons.parse(JSON.parse(row.reasons ?? '[]')) };
    return { ...base, outcome: 'NONE' };
  }

  private async lockReservation(tx: Transaction, orderId: string): Promise<{ state: string; storeId: string } | null> {
    const [row] = await tx.$queryRaw<{ state: string; store_id: string }[]>`SELECT state, store_id FROM reservations WHERE order_id = ${orderId} FOR UPDATE`;
    return row ? { state: row.state, storeId: row.store_id } : null;
  }

  private async linesOf(tx: Transaction, orderId: string): Promise<RequestedLine[]> {
    return tx.reservationLine.findMany({ where: { orderId }, orderBy: { lineNo: 'asc' }, select: { pickId: true, quantity: true } });
  }

  /** Locks the picks' rows in id order and reads them as they are now (a locking read sees the latest commit). */
  private async lockPicks(tx: Transaction, sortedIds: readonly string[]): Promise<Map<string, LockedPick>> {
    const rows = await tx.$queryRaw<LockedPickRow[]>`
      SELECT id, store_id, price_minor, currency, stock, reserved, available, deleted_at IS NOT NULL AS deleted
      FROM picks WHERE id IN (${inList(sortedIds)}) ORDER BY id FOR UPDATE`;
    return new Map(
      rows.map((row) => [
        row.id,
        {
          id: row.id,
          storeId: row.store_id,
          priceMinor: asNumber(row.price_minor),
          currency: row.currency,
          stock: asNumber(row.stock),
          reserved: asNumber(row.reserved),
          available: asNumber(row.available) === 1,
          deleted: asNumber(row.deleted) === 1,
        },
      ]),
    );
  }
}
