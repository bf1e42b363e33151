import { keepsDropoffAddress, visibilityOf, type DeliveryParties } from './access';

const parties = (status: DeliveryParties['status'], courierId: string | null = null): DeliveryParties => ({ status, courierId, customerId: 'c1', storeOwnerId: 'o1' });

describe('who sees a delivery', () => {
  it('shows all of it to its courier, the customer, the store owner and hq_admin', () => {
    for (const caller of [
      { userId: 'k1', roles: ['courier'] },
      { userId: 'c1', roles: ['customer'] },
      { userId: 'o1', roles: ['store_owner'] },
      { userId: 'a1', roles: ['hq_admin'] },
    ] as const) {
      expect(visibilityOf(parties('PICKED_UP', 'k1'), caller)).toBe('party');
    }
  });

  it('shows an open delivery to any courier without making them a party, and a claimed one to nobody else', () => {
    expect(visibilityOf(parties('REQUESTED'), { userId: 'k2', roles: ['courier'] })).toBe('open-for-claims');
    expect(visibilityOf(parties('CLAIMED', 'k1'), { userId: 'k2', roles: ['courier'] })).toBe('none');
    expect(visibilityOf(parties('REQUESTED'), { userId: 'c2', roles: ['customer'] })).toBe('none');
    expect(visibilityOf(parties('REQUESTED'), { userId: 'o2', roles: ['store_owner'] })).toBe('none');
  });

  it("drops a deleted customer's address once the delivery is finished, not before", () => {
    expect(keepsDropoffAddress({ status: 'DELIVERED', customerId: 'c1' })).toBe(true);
    expect(keepsDropoffAddress({ status: 'PICKED_UP', customerId: null })).toBe(true);
    expect(keepsDropoffAddress({ status: 'DELIVERED', customerId: null })).toBe(false);
    expect(keepsDropoffAddress({ status: 'CANCELLED', customerId: null })).toBe(false);
  });
});
