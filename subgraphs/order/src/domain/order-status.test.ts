import { decide, mayHoldStock, transitions, validateTransitionTable, type OrderFacts } from './order-status';

const customer = { kind: 'person', userId: 'c1', roles: ['customer'] } as const;
const owner = { kind: 'person', userId: 'o1', roles: ['store_owner'] } as const;
const otherOwner = { kind: 'person', userId: 'o2', roles: ['store_owner'] } as const;
const admin = { kind: 'person', userId: 'a1', roles: ['hq_admin'] } as const;
const saga = { kind: 'event' } as const;
const order = (status: OrderFacts['status']): OrderFacts => ({ status, customerId: 'c1', storeOwnerId: 'o1' });

describe('the order state machine', () => {
  it('is consistent: every state reachable, no dead ends, no way out of a final state', () => {
    expect(() => validateTransitionTable()).not.toThrow();
  });

  it('walks the happy path', () => {
    const path = [
      ['PENDING', 'stockReserved', saga, 'CONFIRMED'],
      ['CONFIRMED', 'accept', owner, 'PREPARING'],
      ['PREPARING', 'markReady', owner, 'READY_FOR_PICKUP'],
      ['READY_FOR_PICKUP', 'pickedUp', saga, 'OUT_FOR_DELIVERY'],
      ['OUT_FOR_DELIVERY', 'delivered', saga, 'DELIVERED'],
    ] as const;
    for (const [from, trigger, actor, to] of path) expect(decide(order(from), trigger, actor)).toEqual({ kind: 'apply', from, to });
  });

  it("lets only the store's owner (or hq_admin) accept, decline and mark ready", () => {
    expect(decide(order('CONFIRMED'), 'accept', otherOwner)).toMatchObject({ kind: 'refused', code: 'FORBIDDEN' });
    expect(decide(order('CONFIRMED'), 'decline', customer)).toMatchObject({ kind: 'refused', code: 'FORBIDDEN' });
    expect(decide(order('CONFIRMED'), 'decline', admin)).toMatchObject({ kind: 'apply', to: 'REJECTED' });
  });

  it('lets the customer cancel before pick-up and refuses it after', () => {
    for (const status of ['PENDING', 'CONFIRMED', 'PREPARING', 'READY_FOR_PICKUP'] as const) {
      expect(decide(order(status), 'cancel', customer)).toMatchObject({ kind: 'apply', to: 'CANCELLED' });
      expect(mayHoldStock(status)).toBe(true);
    }
    expect(decide(order('OUT_FOR_DELIVERY'), 'cancel', customer)).toMatchObject({ kind: 'refused', code: 'CONFLICT' });
    expect(decide(order('PREPARING'), 'cancel', otherOwner)).toMatchObject({ kind: 'refused', code: 'FORBIDDEN' });
    expect(decide(order('DELIVERED'), 'cancel', admin)).toMatchObject({ kind: 'refused', code: 'CONFLICT' });
  });

  it('refuses a person firing a saga trigger', () => {
    expect(decide(order('PENDING'), 'stockReserved', admin)).toMatchObject({ kind: 'refused', code: 'FORBIDDEN' });
  });

  it('tells a repeated or late event (no change) from an early one (retry)', () => {
    expect(decide(order('CONFIRMED'), 'stockReserved', saga).kind).toBe('stale');
    expect(decide(order('CANCELLED'), 'stockReserved', saga).kind).toBe('stale');
    expect(decide(order('DELIVERED'), 'pickedUp', saga).kind).toBe('stale');
    expect(decide(order('READY_FOR_PICKUP'), 'delivered', saga).kind).toBe('early');
    expect(decide(order('PREPARING'), 'pickedUp', saga).kind).toBe('early');
  });

  it('never leaves a final state', () => {
    for (const trigger of Object.keys(transitions) as (keyof typeof transitions)[]) {
      for (const status of ['DELIVERED', 'REJECTED', 'CANCELLED'] as const) {
        expect(decide(order(status), trigger, admin).kind).not.toBe('apply');
        expect(decide(order(status), trigger, saga).kind).not.toBe('apply');
      }
    }
  });
});
