import { countsFromStatuses, isNewerSnapshot } from './store-projection';

describe('store snapshots in the projection', () => {
  it('applies a snapshot only when its revision is above the one held', () => {
    expect(isNewerSnapshot(null, 1)).toBe(true);
    expect(isNewerSnapshot(2, 3)).toBe(true);
    expect(isNewerSnapshot(3, 3)).toBe(false);
    expect(isNewerSnapshot(3, 2)).toBe(false);
  });

  it('applies a snapshot without a revision, as the latest word', () => {
    expect(isNewerSnapshot(7, undefined)).toBe(true);
  });
});

describe('category store counts', () => {
  it('lists OPEN and CLOSED stores, counts OPEN ones apart, and links every status', () => {
    const counts = countsFromStatuses([
      { status: 'OPEN', stores: 3 },
      { status: 'CLOSED', stores: 2 },
      { status: 'PENDING_APPROVAL', stores: 4 },
      { status: 'SUSPENDED', stores: 1 },
    ]);
    expect(counts).toEqual({ storeCount: 5, openStoreCount: 3, linkedStoreCount: 10 });
  });
});
