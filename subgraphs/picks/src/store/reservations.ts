import { buildEvent, enqueueEvent, requestedLineSchema, StockCommitted, StockRejected, StockReleased, StockReserved, storeStatusSchema } from '@x/kit';
import { z } from 'zod';
import { decideReservation, quantitiesByPick, type LockedPick, type PricedLine, type Rejection, type RequestedLine } from '../domain/reservation';
import { sql } from 'kysely';
import type { Database, Transaction } from './database';

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
    private readonly db: Database,
    private readonly relay: { wake(): void },
  ) {}

  async reserveStockForOrder(orderId: string, storeId: string, lines: readonly RequestedLine[]): Promise<ReservationResult> {
    const result = await this.db.transaction().execute((tx) => this.reserveInTransaction(tx, orderId, storeId, lines));
    if (!result.replayed) this.relay.wake();
    return result;
  }

  async releaseReservation(orderId: string, storeId: string): Promise<ReleaseResult> {
    const result = await this.db.transaction().execute((tx) => this.releaseInTransaction(tx, orderId, storeId));
    if (result === 'released') this.relay.wake();
    return result;
  }

  async commitReservation(orderId: string): Promise<CommitResult> {
    const result = await this.db.transaction().execute((tx) => this.commitInTransaction(tx, orderId));
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
    if (!(await this.claimOrder(tx, orderId, storeId, 'PENDING'))) return this.replay(tx, orderId);

    const picks = await this.lockPicks(tx, quantitiesByPick(args.lines).map((line) => line.pickId));
    const store = await tx.selectFrom('stores').select('status').where('id', '=', storeId).modifyEnd(sql`LOCK IN SHARE MODE`).executeTakeFirst();
    const decision = decideReservation({ storeId, storeStatus: store ? storeStatusSchema.parse(store.status) : null, lines: args.lines, picks });

    if (decision.kind === 'rejected') {
      await tx
        .updateTable('reservations')
        .set({ state: 'REJECTED', outcome: 'REJECTED', reasons: JSON.stringify(decision.reasons), updatedAt: sql`NOW(3)` })
        .where('orderId', '=', orderId)
        .execute();
      await enqueueEvent(tx, buildEvent(StockRejected, orderId, { orderId, storeId, reasons: decision.reasons }));
      return { orderId, storeId, state: 'REJECTED', replayed: false, outcome: 'REJECTED', reasons: decision.reasons };
    }

    for (const { pickId, quantity } of quantitiesByPick(decision.lines)) {
      await tx.updateTable('picks').set((eb) => ({ reserved: eb('reserved', '+', quantity) })).where('id', '=', pickId).execute();
    }
    await tx
      .insertInto('reservationLines')
      .values(decision.lines.map((line, index) => ({ orderId, lineNo: index + 1, ...line })))
      .execute();
    await tx
      .updateTable('reservations')
      .set({ state: 'RESERVED', outcome: 'RESERVED', totalMinor: decision.totalMinor, currency: decision.currency, updatedAt: sql`NOW(3)` })
      .where('orderId', '=', orderId)
      .execute();
    const { lines: priced, totalMinor, currency } = decision;
    await enqueueEvent(tx, buildEvent(StockReserved, orderId, { orderId, storeId, lines: priced, totalMinor, currency }));
    return { orderId, storeId, state: 'RESERVED', replayed: false, outcome: 'RESERVED', lines: priced, totalMinor, currency };
  }

  /**
   * Gives a reserved order's stock back (cancelled or declined) and writes picks.stock.released.
   * An order picks has not seen yet is remembered as released, so its late placement reserves nothing.
   */
  async releaseInTransaction(tx: Transaction, orderId: string, storeId: string): Promise<ReleaseResult> {
    if (await this.claimOrder(tx, orderId, storeId, 'RELEASED')) return 'released-before-reserved';
    const reservation = await this.lockReservation(tx, orderId);
    if (!reservation) throw new Error(`reservation of order ${orderId} vanished`);
    if (reservation.state === 'RELEASED') return 'already-released';
    if (reservation.state === 'COMMITTED') return 'already-committed';
    if (reservation.state !== 'RESERVED') return 'nothing-reserved';

    const lines = await this.linesOf(tx, orderId);
    const sums = quantitiesByPick(lines);
    await this.lockPicks(tx, sums.map((line) => line.pickId));
    for (const { pickId, quantity } of sums) {
      await tx.updateTable('picks').set((eb) => ({ reserved: eb('reserved', '-', quantity) })).where('id', '=', pickId).execute();
    }
    await this.setState(tx, orderId, 'RELEASED');
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
      await tx
        .updateTable('picks')
        .set((eb) => ({ stock: eb('stock', '-', quantity), reserved: eb('reserved', '-', quantity) }))
        .where('id', '=', pickId)
        .execute();
    }
    await this.setState(tx, orderId, 'COMMITTED');
    await enqueueEvent(tx, buildEvent(StockCommitted, orderId, { orderId, storeId: reservation.storeId, lines }));
    return 'committed';
  }

  async findByOrderId(orderId: string): Promise<ReservationResult | null> {
    return this.read(this.db, orderId, false);
  }

  private async replay(tx: Transaction, orderId: string): Promise<ReservationResult> {
    const result = await this.read(tx, orderId, true);
    if (!result) throw new Error(`reservation of order ${orderId} vanished`);
    return result;
  }

  private async read(db: Database | Transaction, orderId: string, replayed: boolean): Promise<ReservationResult | null> {
    const row = await db.selectFrom('reservations').selectAll().where('orderId', '=', orderId).executeTakeFirst();
    if (!row) return null;
    const base = { orderId, storeId: row.storeId, state: reservationStateSchema.parse(row.state), replayed };
    if (row.outcome === 'RESERVED') {
      const lines = await db
        .selectFrom('reservationLines')
        .select(['pickId', 'quantity', 'unitPriceMinor', 'currency'])
        .where('orderId', '=', orderId)
        .orderBy('lineNo')
        .execute();
      return { ...base, outcome: 'RESERVED', lines, totalMinor: Number(row.totalMinor), currency: row.currency! };
    }
    if (row.outcome === 'REJECTED') return { ...base, outcome: 'REJECTED', reasons: StockRejected.data.shape.reasons.parse(JSON.parse(row.reasons ?? '[]')) };
    return { ...base, outcome: 'NONE' };
  }

  /** Inserts the order's reservation row unless it exists; true when this call created it. */
  private async claimOrder(tx: Transaction, orderId: string, storeId: string, state: 'PENDING' | 'RELEASED'): Promise<boolean> {
    const claimed = await tx
      .insertInto('reservations')
      .ignore()
      .values({ orderId, storeId, state, outcome: 'NONE', updatedAt: sql`NOW(3)` })
      .executeTakeFirst();
    return claimed.numInsertedOrUpdatedRows === 1n;
  }

  private async setState(tx: Transaction, orderId: string, state: ReservationState): Promise<void> {
    await tx.updateTable('reservations').set({ state, updatedAt: sql`NOW(3)` }).where('orderId', '=', orderId).execute();
  }

  private async lockReservation(tx: Transaction, orderId: string): Promise<{ state: string; storeId: string } | null> {
    const row = await tx.selectFrom('reservations').select(['state', 'storeId']).where('orderId', '=', orderId).forUpdate().executeTakeFirst();
    return row ?? null;
  }

  private async linesOf(tx: Transaction, orderId: string): Promise<RequestedLine[]> {
    return tx.selectFrom('reservationLines').select(['pickId', 'quantity']).where('orderId', '=', orderId).orderBy('lineNo').execute();
  }

  /** Locks the picks' rows in id order and reads them as they are now (a locking read sees the latest commit). */
  private async lockPicks(tx: Transaction, sortedIds: readonly string[]): Promise<Map<string, LockedPick>> {
    if (sortedIds.length === 0) return new Map();
    const rows = await tx
      .selectFrom('picks')
      .select(['id', 'storeId', 'priceMinor', 'currency', 'stock', 'reserved', 'available', 'deletedAt'])
      .where('id', 'in', sortedIds)
      .orderBy('id')
      .forUpdate()
      .execute();
    return new Map(rows.map(({ deletedAt, ...row }) => [row.id, { ...row, deleted: deletedAt !== null }]));
  }
}
