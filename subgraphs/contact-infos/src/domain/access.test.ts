import { randomUUID } from 'node:crypto';
import { DomainError, type Principal } from '@x/kit';
import { authorizeCardChange, authorizeUserContactsRead, type StoreOwnership } from './access';
import type { Owner } from './contact-card';

const customer: Principal = { userId: randomUUID(), roles: ['customer'] };
const storeOwner: Principal = { userId: randomUUID(), roles: ['store_owner'] };
const otherStoreOwner: Principal = { userId: randomUUID(), roles: ['store_owner'] };
const hqAdmin: Principal = { userId: randomUUID(), roles: ['hq_admin'] };
const store: StoreOwnership = { storeId: randomUUID(), ownerId: storeOwner.userId };

function outcome(work: () => void): string {
  try {
    work();
    return 'ok';
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
}

describe('who may change a contact card', () => {
  const customersCard: Owner = { type: 'user', id: customer.userId };
  const storesCard: Owner = { type: 'store', id: store.storeId };

  it.each([
    ['the customer', customer, 'ok', 'FORBIDDEN'],
    ['a store owner', storeOwner, 'FORBIDDEN', 'ok'],
    ["another store's owner", otherStoreOwner, 'FORBIDDEN', 'FORBIDDEN'],
    ['an hq_admin', hqAdmin, 'ok', 'ok'],
  ])("%s: the customer's own card → %s, the store's card → %s", (_who, caller, onCustomersCard, onStoresCard) => {
    expect(outcome(() => authorizeCardChange(caller, customersCard, null))).toBe(onCustomersCard);
    expect(outcome(() => authorizeCardChange(caller, storesCard, store))).toBe(onStoresCard);
  });

  it('lets a store owner with several roles change their store, and no one a store it has not heard of', () => {
    expect(outcome(() => authorizeCardChange({ userId: storeOwner.userId, roles: ['customer', 'store_owner'] }, storesCard, store))).toBe('ok');
    for (const caller of [storeOwner, hqAdmin, customer]) expect(outcome(() => authorizeCardChange(caller, { type: 'store', id: randomUUID() }, null))).toBe('NOT_FOUND');
  });
});

describe("who may see a user's addresses and phones", () => {
  it.each([
    ['anonymous', null, 'UNAUTHENTICATED'],
    ['the user', customer, 'ok'],
    ['another user', storeOwner, 'FORBIDDEN'],
    ['an hq_admin', hqAdmin, 'ok'],
  ])('%s → %s', (_who, caller, expected) => {
    expect(outcome(() => authorizeUserContactsRead(caller, customer.userId))).toBe(expected);
  });
});
