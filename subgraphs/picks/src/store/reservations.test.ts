import { randomUUID } from 'node:crypto';
import type { EventEnvelope, SqlDatabase } from '@x/kit';
import { openSql, openTestDatabase, projectStore, type TestDatabase } from '../../test/support';
import type { Database } from './database';
import type { DB } from './generated/tables';
import { PickStore } from './picks';
import { ReservationStore } from './reservations';
import { StoreDirectory } from './stores';

let database: TestDatabase;
let sql: SqlDatabase<DB>;
let db: Database;
let picks: PickStore;
let stores: StoreDirectory;
let reservations: ReservationStore;
const idleRelay = { wake: () => undefined };

beforeAll(async () => {
  database = await openTestDatabase('reservations');
  // Enough connections for the races below to really run side by side.
  sql = openSql(database.url, 24);
  db = sql.db;
  picks = new PickStore(db, idleRelay);
  stores = new StoreDirectory(db);
  reservations = new ReservationStore(db, idleRelay);
});

afterAll(async () => {
  await sql.close();
  await database.drop();
});

async function openStore(status: 'OPEN' | 'CLOSED' = 'OPEN'): Promise<string> {
  return projectStore(stores, db, { ownerId: randomUUID(), status });
}

async function newPick(storeId: string, options: { stock: number; priceMinor?: number; currency?: string; available?: boolean }): Promise<string> {
  const pick = await picks.create(storeId, {
    name: `pick ${randomUUID().slice(0, 6)}`,
    description: null,
    price: { amountMinor: options.priceMinor ?? 1250, currency: options.currency ?? 'EUR' },
    stock: options.stock,
    available: options.available ?? true,
    images: [],
    tags: [],
  });
  return pick.id;
}

async function levels(pickId: string): Promise<{ stock: number; reserved: number }> {
  return db.selectFrom('picks').select(['stock', 'reserved']).where('id', '=', pickId).executeTakeFirstOrThrow();
}

/** Units of a pick on reservation lines, of reservations in `state` when given. */
async function heldUnits(pickId: string, state?: string): Promise<number> {
  let query = db
    .selectFrom('reservationLines as l')
    .innerJoin('reservations as r', 'r.orderId', 'l.orderId')
    .select((eb) => eb.fn.sum<number>('l.quantity').as('units'))
    .where('l.pickId', '=', pickId);
  if (state) query = query.where('r.state', '=', state);
  return Number((await query.executeTakeFirstOrThrow()).units);
}

async function eventsFor(orderId: string): Promise<EventEnvelope[]> {
  const rows = await db.selectFrom('outbox').select('payload').orderBy('seq').execute();
  return rows.map((row) => JSON.parse(row.payload) as EventEnvelope).filter((event) => event.subject === orderId);
}

describe('reserveStockForOrder', () => {
  it('reserves every line at picks’ own prices, with the total, and writes picks.stock.reserved', async () => {
    const storeId = await openStore();
    const soup = await newPick(storeId, { stock: 5, priceMinor: 450 });
    const bread = await newPick(storeId, { stock: 3, priceMinor: 300 });
    const orderId = randomUUID();

    const result = await reservations.reserveStockForOrder(orderId, storeId, [
      { pickId: soup, quantity: 2 },
      { pickId: bread, quantity: 1 },
    ]);

    expect(result).toMatchObject({ outcome: 'RESERVED', state: 'RESERVED', replayed: false, totalMinor: 1200, currency: 'EUR' });
    expect(await levels(soup)).toEqual({ stock: 5, reserved: 2 });
    expect(await levels(bread)).toEqual({ stock: 3, reserved: 1 });
    const [event, ...more] = await eventsFor(orderId);
    expect(more).toHaveLength(0);
    expect(event).toMatchObject({
      type: 'picks.stock.reserved',
      data: {
        orderId,
        storeId,
        lines: [
          { pickId: soup, quantity: 2, unitPriceMinor: 450, currency: 'EUR' },
          { pickId: bread, quantity: 1, unitPriceMinor: 300, currency: 'EUR' },
        ],
        totalMinor: 1200,
        currency: 'EUR',
      },
    });
  });

  it('reserves nothing when one line is out of stock, and says which pick and why', async () => {
    const storeId = await openStore();
    const plenty = await newPick(storeId, { stock: 10 });
    const scarce = await newPick(storeId, { stock: 1 });
    const orderId = randomUUID();

    const result = await reservations.reserveStockForOrder(orderId, storeId, [
      { pickId: plenty, quantity: 3 },
      { pickId: scarce, quantity: 2 },
    ]);

    expect(result).toMatchObject({ outcome: 'REJECTED', reasons: [{ pickId: scarce, reason: 'OUT_OF_STOCK', requested: 2, available: 1 }] });
    expect(await levels(plenty)).toEqual({ stock: 10, reserved: 0 });
    expect(await levels(scarce)).toEqual({ stock: 1, reserved: 0 });
    expect((await eventsFor(orderId)).map((event) => [event.type, event.data])).toEqual([
      ['picks.stock.rejected', { orderId, storeId, reasons: [{ pickId: scarce, reason: 'OUT_OF_STOCK', requested: 2, available: 1 }] }],
    ]);
  });

  it('reserves two lines of the same pick as their sum, and rejects them when only each line alone would fit', async () => {
    const storeId = await openStore();
    const pickId = await newPick(storeId, { stock: 3 });

    const tooMuch = await reservations.reserveStockForOrder(randomUUID(), storeId, [
      { pickId, quantity: 2 },
      { pickId, quantity: 2 },
    ]);
    expect(tooMuch).toMatchObject({ outcome: 'REJECTED', reasons: [{ pickId, reason: 'OUT_OF_STOCK', requested: 4, available: 3 }] });
    expect(await levels(pickId)).toEqual({ stock: 3, reserved: 0 });

    const fits = await reservations.reserveStockForOrder(randomUUID(), storeId, [
      { pickId, quantity: 1 },
      { pickId, quantity: 2 },
    ]);
    expect(fits).toMatchObject({ outcome: 'RESERVED', totalMinor: 3 * 1250 });
    expect(await levels(pickId)).toEqual({ stock: 3, reserved: 3 });
  });

  it('rejects unknown, deleted, hidden, foreign and other-currency picks with their reason, and every pick of a store that is not open', async () => {
    const storeId = await openStore();
    const otherStore = await openStore();
    const good = await newPick(storeId, { stock: 5, currency: 'EUR' });
    const hidden = await newPick(storeId, { stock: 5, available: false });
    const dollars = await newPick(storeId, { stock: 5, currency: 'USD' });
    const foreign = await newPick(otherStore, { stock: 5 });
    const deleted = await newPick(storeId, { stock: 5 });
    await picks.remove(deleted, randomUUID());
    const unknown = randomUUID();

    const result = await reservations.reserveStockForOrder(randomUUID(), storeId, [
      { pickId: good, quantity: 1 },
      { pickId: hidden, quantity: 1 },
      { pickId: dollars, quantity: 1 },
      { pickId: foreign, quantity: 1 },
      { pickId: deleted, quantity: 1 },
      { pickId: unknown, quantity: 1 },
    ]);
    expect(result.outcome).toBe('REJECTED');
    const reasons = result.outcome === 'REJECTED' ? Object.fromEntries(result.reasons.map((r) => [r.pickId, r.reason])) : {};
    expect(reasons).toEqual({ [hidden]: 'UNAVAILABLE', [dollars]: 'CURRENCY_MISMATCH', [foreign]: 'WRONG_STORE', [deleted]: 'UNKNOWN_PICK', [unknown]: 'UNKNOWN_PICK' });

    const closedStore = await openStore('CLOSED');
    const closedPick = await newPick(closedStore, { stock: 5 });
    expect(await reservations.reserveStockForOrder(randomUUID(), closedStore, [{ pickId: closedPick, quantity: 1 }])).toMatchObject({
      outcome: 'REJECTED',
      reasons: [{ pickId: closedPick, reason: 'STORE_NOT_OPEN', requested: 1, available: 0 }],
    });
    for (const pickId of [good, hidden, dollars, foreign, deleted, closedPick]) expect((await levels(pickId)).reserved).toBe(0);
  });

  it('answers a repeated order with its first outcome, without touching stock or writing another event', async () => {
    const storeId = await openStore();
    const pickId = await newPick(storeId, { stock: 4 });
    const orderId = randomUUID();
    const first = await reservations.reserveStockForOrder(orderId, storeId, [{ pickId, quantity: 3 }]);
    // Same order again, even with different lines: picks already answered it.
    const again = await reservations.reserveStockForOrder(orderId, storeId, [{ pickId, quantity: 1 }]);

    expect(again).toEqual({ ...first, replayed: true });
    expect(await levels(pickId)).toEqual({ stock: 4, reserved: 3 });
    expect(await eventsFor(orderId)).toHaveLength(1);

    const rejectedOrder = randomUUID();
    const rejected = await reservations.reserveStockForOrder(rejectedOrder, storeId, [{ pickId, quantity: 2 }]);
    expect(rejected.outcome).toBe('REJECTED');
    // Now it would fit; the order still gets the answer it had.
    await picks.setStock(pickId, 10);
    expect(await reservations.reserveStockForOrder(rejectedOrder, storeId, [{ pickId, quantity: 2 }])).toEqual({ ...rejected, replayed: true });
  });
});

describe('releaseReservation and commitReservation', () => {
  it('gives reserved stock back once and writes picks.stock.released, however often it is asked', async () => {
    const storeId = await openStore();
    const pickId = await newPick(storeId, { stock: 5 });
    const orderId = randomUUID();
    await reservations.reserveStockForOrder(orderId, storeId, [
      { pickId, quantity: 1 },
      { pickId, quantity: 2 },
    ]);
    expect(await levels(pickId)).toEqual({ stock: 5, reserved: 3 });

    expect(await reservations.releaseReservation(orderId, storeId)).toBe('released');
    expect(await reservations.releaseReservation(orderId, storeId)).toBe('already-released');

    expect(await levels(pickId)).toEqual({ stock: 5, reserved: 0 });
    expect((await eventsFor(orderId)).map((event) => [event.type, event.data])).toEqual([
      ['picks.stock.reserved', expect.anything()],
      ['picks.stock.released', { orderId, storeId, lines: [{ pickId, quantity: 1 }, { pickId, quantity: 2 }] }],
    ]);
    expect(await reservations.commitReservation(orderId)).toBe('not-reserved');
  });

  it('takes committed units out of stock once and writes picks.stock.committed; a committed order cannot be released', async () => {
    const storeId = await openStore();
    const pickId = await newPick(storeId, { stock: 5 });
    const orderId = randomUUID();
    await reservations.reserveStockForOrder(orderId, storeId, [{ pickId, quantity: 2 }]);

    expect(await reservations.commitReservation(orderId)).toBe('committed');
    expect(await reservations.commitReservation(orderId)).toBe('already-committed');
    expect(await reservations.releaseReservation(orderId, storeId)).toBe('already-committed');

    expect(await levels(pickId)).toEqual({ stock: 3, reserved: 0 });
    expect((await eventsFor(orderId)).map((event) => event.type)).toEqual(['picks.stock.reserved', 'picks.stock.committed']);
    expect(await reservations.findByOrderId(orderId)).toMatchObject({ state: 'COMMITTED', outcome: 'RESERVED' });
  });

  it('remembers a release that comes before the order, so the late order reserves nothing', async () => {
    const storeId = await openStore();
    const pickId = await newPick(storeId, { stock: 5 });
    const orderId = randomUUID();

    expect(await reservations.releaseReservation(orderId, storeId)).toBe('released-before-reserved');
    const late = await reservations.reserveStockForOrder(orderId, storeId, [{ pickId, quantity: 2 }]);

    expect(late).toMatchObject({ outcome: 'NONE', state: 'RELEASED', replayed: true });
    expect(await levels(pickId)).toEqual({ stock: 5, reserved: 0 });
    expect(await eventsFor(orderId)).toEqual([]);
  });

  it('releases nothing for a rejected order and commits nothing for an unknown one', async () => {
    const storeId = await openStore();
    const pickId = await newPick(storeId, { stock: 1 });
    const orderId = randomUUID();
    await reservations.reserveStockForOrder(orderId, storeId, [{ pickId, quantity: 2 }]);
    expect(await reservations.releaseReservation(orderId, storeId)).toBe('nothing-reserved');
    expect(await reservations.commitReservation(randomUUID())).toBe('unknown-order');
    expect(await levels(pickId)).toEqual({ stock: 1, reserved: 0 });
  });
});

describe('concurrent orders', () => {
  it('never oversells: of 20 parallel orders for 5 units, exactly 5 are reserved', async () => {
    const storeId = await openStore();
    const pickId = await newPick(storeId, { stock: 5 });
    const orders = Array.from({ length: 20 }, () => randomUUID());

    const results = await Promise.all(orders.map((orderId) => reservations.reserveStockForOrder(orderId, storeId, [{ pickId, quantity: 1 }])));

    expect(results.filter((result) => result.outcome === 'RESERVED')).toHaveLength(5);
    expect(results.filter((result) => result.outcome === 'REJECTED')).toHaveLength(15);
    expect(await levels(pickId)).toEqual({ stock: 5, reserved: 5 });
    expect(await heldUnits(pickId)).toBe(5);
  });

  it('never oversells orders that take several units and lock two picks in opposite line orders', async () => {
    const storeId = await openStore();
    const a = await newPick(storeId, { stock: 7 });
    const b = await newPick(storeId, { stock: 100 });
    // Each order wants 2 of `a`: at most 3 fit in 7. Half list b first, so a lock order taken from
    // the lines would deadlock; picks locks in id order.
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, index) => {
        const lines = index % 2 === 0 ? [{ pickId: a, quantity: 2 }, { pickId: b, quantity: 1 }] : [{ pickId: b, quantity: 1 }, { pickId: a, quantity: 2 }];
        return reservations.reserveStockForOrder(randomUUID(), storeId, lines);
      }),
    );

    const reserved = results.filter((result) => result.outcome === 'RESERVED').length;
    expect(reserved).toBe(3);
    expect(await levels(a)).toEqual({ stock: 7, reserved: 6 });
    expect(await levels(b)).toEqual({ stock: 100, reserved: 3 });
  });

  it('reserves an order once when the same order arrives many times at once', async () => {
    const storeId = await openStore();
    const pickId = await newPick(storeId, { stock: 10 });
    const orderId = randomUUID();

    const results = await Promise.all(Array.from({ length: 8 }, () => reservations.reserveStockForOrder(orderId, storeId, [{ pickId, quantity: 3 }])));

    expect(results.filter((result) => !result.replayed)).toHaveLength(1);
    expect(new Set(results.map((result) => result.outcome))).toEqual(new Set(['RESERVED']));
    expect(await levels(pickId)).toEqual({ stock: 10, reserved: 3 });
    expect(await eventsFor(orderId)).toHaveLength(1);
  });

  it('keeps stock and reservations consistent while orders, releases and restocking race', async () => {
    const storeId = await openStore();
    const pickId = await newPick(storeId, { stock: 4 });
    const first = Array.from({ length: 4 }, () => randomUUID());
    await Promise.all(first.map((orderId) => reservations.reserveStockForOrder(orderId, storeId, [{ pickId, quantity: 1 }])));

    // Releases, commits, the owner restocking and new orders, all at once.
    const late = Array.from({ length: 10 }, () => randomUUID());
    await Promise.all([
      reservations.releaseReservation(first[0]!, storeId),
      reservations.releaseReservation(first[1]!, storeId),
      reservations.commitReservation(first[2]!),
      picks.adjustStock(pickId, 2),
      ...late.map((orderId) => reservations.reserveStockForOrder(orderId, storeId, [{ pickId, quantity: 1 }])),
    ]);

    const { stock, reserved } = await levels(pickId);
    expect(stock).toBe(4 + 2 - 1);
    expect(reserved).toBe(await heldUnits(pickId, 'RESERVED'));
    expect(reserved).toBeLessThanOrEqual(stock);
  });
});
