import { randomUUID } from 'node:crypto';
import { DomainError } from '@x/kit';
import { canDeletePick, canManagePicks, canSeePick, viewerOf, type StoreFacts } from './access';
import { changedFields, createPickSchema, pickFilterSchema, type Pick } from './pick';
import { nextStockLevel } from './stock';
import { supersedes } from '@x/kit';

describe('access rules', () => {
  const ownerId = randomUUID();
  const store = (status: StoreFacts['status']): StoreFacts => ({ id: randomUUID(), ownerId, status });
  const owner = viewerOf({ userId: ownerId, roles: ['store_owner'] });
  const hq = viewerOf({ userId: randomUUID(), roles: ['hq_admin'] });
  const customer = viewerOf({ userId: randomUUID(), roles: ['customer'] });
  const nobody = viewerOf(null);

  it('lets only the owner manage picks, and the owner or hq_admin delete them', () => {
    expect([owner, hq, customer, nobody].map((viewer) => canManagePicks(viewer, store('OPEN')))).toEqual([true, false, false, false]);
    expect([owner, hq, customer, nobody].map((viewer) => canDeletePick(viewer, store('OPEN')))).toEqual([true, true, false, false]);
  });

  it('shows the public only available picks of OPEN stores; owner and hq_admin see everything', () => {
    expect(canSeePick(nobody, store('OPEN'), { available: true })).toBe(true);
    expect(canSeePick(nobody, store('OPEN'), { available: false })).toBe(false);
    expect(canSeePick(customer, store('CLOSED'), { available: true })).toBe(false);
    expect(canSeePick(owner, store('SUSPENDED'), { available: false })).toBe(true);
    expect(canSeePick(hq, store('PENDING_APPROVAL'), { available: false })).toBe(true);
    expect(canSeePick(customer, null, { available: true })).toBe(false);
  });
});

describe('stock levels', () => {
  it('sets or adjusts stock down to the reserved units and no further', () => {
    expect(nextStockLevel({ stock: 5, reserved: 2 }, { set: 2 })).toBe(2);
    expect(nextStockLevel({ stock: 5, reserved: 2 }, { delta: -3 })).toBe(2);
    expect(() => nextStockLevel({ stock: 5, reserved: 2 }, { delta: -4 })).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
    expect(() => nextStockLevel({ stock: 5, reserved: 0 }, { delta: -6 })).toThrow(DomainError);
    expect(() => nextStockLevel({ stock: 999_999, reserved: 0 }, { delta: 2 })).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });
});

describe('store snapshots', () => {
  const at = (seconds: number) => new Date(Date.UTC(2026, 10, 24, 8, 0, seconds));

  it('orders by revision when both have one, and by event time otherwise', () => {
    expect(supersedes({ revision: 3, at: at(0) }, { revision: 2, at: at(9) })).toBe(true);
    expect(supersedes({ revision: 2, at: at(9) }, { revision: 3, at: at(0) })).toBe(false);
    expect(supersedes({ revision: 3, at: at(9) }, { revision: 3, at: at(0) })).toBe(false);
    expect(supersedes({ revision: null, at: at(5) }, { revision: 3, at: at(4) })).toBe(true);
    expect(supersedes({ revision: null, at: at(3) }, { revision: null, at: at(4) })).toBe(false);
    expect(supersedes({ revision: null, at: at(4) }, { revision: null, at: at(4) })).toBe(true);
  });
});

describe('pick input', () => {
  const valid = { storeId: randomUUID(), name: 'Soup', price: { amountMinor: 450, currency: 'EUR' } };

  it('fills defaults, trims, and folds tags to one lower-case copy each', () => {
    expect(createPickSchema.parse({ ...valid, name: ' Soup ', description: '  ', tags: ['Vegan', 'vegan ', 'Hot soup'] })).toEqual({
      ...valid,
      description: null,
      stock: 0,
      available: true,
      images: [],
      tags: ['vegan', 'hot soup'],
    });
  });

  it.each([
    ['an unknown currency', { price: { amountMinor: 1, currency: 'ABC' } }],
    ['a negative price', { price: { amountMinor: -1, currency: 'EUR' } }],
    ['a javascript: image', { images: ['javascript:alert(1)'] }],
    ['eleven images', { images: Array.from({ length: 11 }, (_, i) => `https://cdn.example.com/${i}.jpg`) }],
    ['an unknown field', { colour: 'red' }],
  ])('refuses %s', (_label, input) => {
    expect(createPickSchema.safeParse({ ...valid, ...input }).success).toBe(false);
  });

  it('reads a search as trimmed text and a tag as its folded form', () => {
    expect(pickFilterSchema.parse({ text: '  soup ', tag: ' Vegan' })).toEqual({ text: 'soup', tag: 'vegan', availableOnly: false });
  });

  it('names the snapshot fields that differ', () => {
    const before: Pick = {
      id: randomUUID(),
      storeId: randomUUID(),
      name: 'Soup',
      description: null,
      priceMinor: 450,
      currency: 'EUR',
      stock: 3,
      reserved: 0,
      available: true,
      images: [],
      tags: ['vegan'],
      createdAt: new Date(),
      updatedAt: new Date(),
    };
    expect(changedFields(before, { ...before, updatedAt: new Date(0), reserved: 2 })).toEqual([]);
    expect(changedFields(before, { ...before, priceMinor: 500, tags: ['vegan', 'hot'] })).toEqual(['priceMinor', 'tags']);
  });
});
