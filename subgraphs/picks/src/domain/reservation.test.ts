import { randomUUID } from 'node:crypto';
import { decideReservation, quantitiesByPick, type LockedPick } from './reservation';

const storeId = randomUUID();

function pick(overrides: Partial<LockedPick> = {}): LockedPick {
  return { id: randomUUID(), storeId, priceMinor: 500, currency: 'EUR', stock: 10, reserved: 0, available: true, deleted: false, ...overrides };
}

const byId = (...picks: LockedPick[]) => new Map(picks.map((p) => [p.id, p]));

describe('quantitiesByPick', () => {
  it('sums the lines of one pick and sorts by pick id, the locking order', () => {
    const [a, b] = ['00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b'];
    expect(quantitiesByPick([{ pickId: b, quantity: 1 }, { pickId: a, quantity: 2 }, { pickId: b, quantity: 4 }])).toEqual([
      { pickId: a, quantity: 2 },
      { pickId: b, quantity: 5 },
    ]);
  });
});

describe('decideReservation', () => {
  it('prices every line at the pick’s price and totals them', () => {
    const soup = pick({ priceMinor: 450 });
    const bread = pick({ priceMinor: 300 });
    expect(
      decideReservation({ storeId, storeStatus: 'OPEN', lines: [{ pickId: soup.id, quantity: 2 }, { pickId: bread.id, quantity: 1 }], picks: byId(soup, bread) }),
    ).toEqual({
      kind: 'reserved',
      lines: [
        { pickId: soup.id, quantity: 2, unitPriceMinor: 450, currency: 'EUR' },
        { pickId: bread.id, quantity: 1, unitPriceMinor: 300, currency: 'EUR' },
      ],
      totalMinor: 1200,
      currency: 'EUR',
    });
  });

  it('counts what pending orders hold: only stock − reserved can be reserved', () => {
    const scarce = pick({ stock: 5, reserved: 4 });
    expect(decideReservation({ storeId, storeStatus: 'OPEN', lines: [{ pickId: scarce.id, quantity: 2 }], picks: byId(scarce) })).toEqual({
      kind: 'rejected',
      reasons: [{ pickId: scarce.id, reason: 'OUT_OF_STOCK', requested: 2, available: 1 }],
    });
  });

  it('rejects two lines of one pick whose sum exceeds the stock although each line alone fits', () => {
    const item = pick({ stock: 3 });
    const decision = decideReservation({ storeId, storeStatus: 'OPEN', lines: [{ pickId: item.id, quantity: 2 }, { pickId: item.id, quantity: 2 }], picks: byId(item) });
    expect(decision).toEqual({ kind: 'rejected', reasons: [{ pickId: item.id, reason: 'OUT_OF_STOCK', requested: 4, available: 3 }] });
  });

  it('gives each failing pick its first reason, and rejects the whole order for any of them', () => {
    const fine = pick();
    const unknownId = randomUUID();
    const deleted = pick({ deleted: true });
    const foreign = pick({ storeId: randomUUID() });
    const hidden = pick({ available: false });
    const dollars = pick({ currency: 'USD' });
    const decision = decideReservation({
      storeId,
      storeStatus: 'OPEN',
      lines: [fine.id, unknownId, deleted.id, foreign.id, hidden.id, dollars.id].map((pickId) => ({ pickId, quantity: 1 })),
      picks: byId(fine, deleted, foreign, hidden, dollars),
    });
    expect(decision.kind).toBe('rejected');
    const reasons = decision.kind === 'rejected' ? Object.fromEntries(decision.reasons.map((r) => [r.pickId, [r.reason, r.available]])) : {};
    expect(reasons).toEqual({
      [unknownId]: ['UNKNOWN_PICK', 0],
      [deleted.id]: ['UNKNOWN_PICK', 0],
      [foreign.id]: ['WRONG_STORE', 0],
      [hidden.id]: ['UNAVAILABLE', 0],
      [dollars.id]: ['CURRENCY_MISMATCH', 10],
    });
  });

  it('takes the order’s currency from its first line that belongs to the store', () => {
    const foreign = pick({ storeId: randomUUID(), currency: 'GBP' });
    const dollars = pick({ currency: 'USD' });
    const euros = pick({ currency: 'EUR' });
    const decision = decideReservation({
      storeId,
      storeStatus: 'OPEN',
      lines: [foreign.id, dollars.id, euros.id].map((pickId) => ({ pickId, quantity: 1 })),
      picks: byId(foreign, dollars, euros),
    });
    expect(decision.kind === 'rejected' && decision.reasons.map((r) => [r.pickId, r.reason])).toEqual(
      expect.arrayContaining([
        [foreign.id, 'WRONG_STORE'],
        [euros.id, 'CURRENCY_MISMATCH'],
      ]),
    );
  });

  it.each(['PENDING_APPROVAL', 'CLOSED', 'SUSPENDED', null] as const)('rejects every pick of a store that is %s', (status) => {
    const item = pick();
    expect(decideReservation({ storeId, storeStatus: status, lines: [{ pickId: item.id, quantity: 1 }], picks: byId(item) })).toEqual({
      kind: 'rejected',
      reasons: [{ pickId: item.id, reason: 'STORE_NOT_OPEN', requested: 1, available: 0 }],
    });
  });
});
