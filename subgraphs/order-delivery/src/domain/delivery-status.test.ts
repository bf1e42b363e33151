import { decide, deliveryStatuses, terminalStatuses, transitions, validateTransitionTable, type DeliveryFacts, type DeliveryStatus, type Trigger } from './delivery-status';

const courier = { kind: 'person', userId: 'k1', roles: ['courier'] } as const;
const otherCourier = { kind: 'person', userId: 'k2', roles: ['courier'] } as const;
const customer = { kind: 'person', userId: 'c1', roles: ['customer'] } as const;
const admin = { kind: 'person', userId: 'a1', roles: ['hq_admin'] } as const;
const saga = { kind: 'event' } as const;
const delivery = (status: DeliveryStatus, orderStatus: string | null = 'READY_FOR_PICKUP', courierId: string | null = status === 'REQUESTED' ? null : 'k1'): DeliveryFacts => ({
  status,
  courierId,
  orderStatus,
});

describe('the delivery state machine', () => {
  it('is consistent: every state reachable, no dead ends, no way out of a final state', () => {
    expect(() => validateTransitionTable()).not.toThrow();
  });

  it('walks the happy path REQUESTED → CLAIMED → PICKED_UP → DELIVERED', () => {
    expect(decide(delivery('REQUESTED'), 'claim', courier)).toEqual({ kind: 'apply', from: 'REQUESTED', to: 'CLAIMED' });
    expect(decide(delivery('CLAIMED'), 'pickUp', courier)).toEqual({ kind: 'apply', from: 'CLAIMED', to: 'PICKED_UP' });
    expect(decide(delivery('PICKED_UP'), 'deliver', courier)).toEqual({ kind: 'apply', from: 'PICKED_UP', to: 'DELIVERED' });
  });

  it('lets any courier claim an open delivery, and nobody else', () => {
    expect(decide(delivery('REQUESTED'), 'claim', otherCourier).kind).toBe('apply');
    expect(decide(delivery('REQUESTED'), 'claim', customer)).toMatchObject({ kind: 'refused', code: 'FORBIDDEN' });
    expect(decide(delivery('REQUESTED'), 'claim', admin)).toMatchObject({ kind: 'refused', code: 'FORBIDDEN' });
    expect(decide(delivery('REQUESTED'), 'claim', saga)).toMatchObject({ kind: 'refused', code: 'FORBIDDEN' });
  });

  it('refuses a claim of a delivery that is taken or over as a CONFLICT', () => {
    for (const status of ['CLAIMED', 'PICKED_UP', 'DELIVERED', 'CANCELLED'] as const) {
      expect(decide(delivery(status), 'claim', otherCourier)).toMatchObject({ kind: 'refused', code: 'CONFLICT', reason: `cannot claim a delivery that is ${status}` });
    }
  });

  it('lets only the claiming courier pick up and deliver', () => {
    expect(decide(delivery('CLAIMED'), 'pickUp', otherCourier)).toMatchObject({ kind: 'refused', code: 'FORBIDDEN' });
    expect(decide(delivery('CLAIMED'), 'pickUp', admin)).toMatchObject({ kind: 'refused', code: 'FORBIDDEN' });
    expect(decide(delivery('PICKED_UP'), 'deliver', otherCourier)).toMatchObject({ kind: 'refused', code: 'FORBIDDEN' });
    expect(decide(delivery('PICKED_UP'), 'deliver', customer)).toMatchObject({ kind: 'refused', code: 'FORBIDDEN' });
  });

  it('refuses a pick-up before the order is READY_FOR_PICKUP, with the reason', () => {
    expect(decide(delivery('CLAIMED', 'PREPARING'), 'pickUp', courier)).toEqual({
      kind: 'refused',
      code: 'CONFLICT',
      reason: 'the order is not ready for pick-up yet (it is PREPARING)',
    });
    expect(decide(delivery('CLAIMED', 'CANCELLED'), 'pickUp', courier)).toMatchObject({ kind: 'refused', code: 'CONFLICT' });
    expect(decide(delivery('CLAIMED', null), 'pickUp', courier)).toMatchObject({ kind: 'refused', code: 'CONFLICT', reason: expect.stringContaining('unknown here') });
  });

  it('refuses delivering before the pick-up', () => {
    expect(decide(delivery('CLAIMED'), 'deliver', courier)).toMatchObject({ kind: 'refused', code: 'CONFLICT', reason: 'cannot deliver a delivery that is CLAIMED' });
  });

  it('cancels on the saga’s word before pick-up, and treats a cancel after it as stale', () => {
    expect(decide(delivery('REQUESTED'), 'cancel', saga)).toEqual({ kind: 'apply', from: 'REQUESTED', to: 'CANCELLED' });
    expect(decide(delivery('CLAIMED'), 'cancel', saga)).toEqual({ kind: 'apply', from: 'CLAIMED', to: 'CANCELLED' });
    for (const status of ['PICKED_UP', 'DELIVERED', 'CANCELLED'] as const) expect(decide(delivery(status), 'cancel', saga).kind).toBe('stale');
    expect(decide(delivery('REQUESTED'), 'cancel', admin)).toMatchObject({ kind: 'refused', code: 'FORBIDDEN' });
  });

  it('sends picked-up goods back on the saga\'s word, and only the claiming courier marks them returned', () => {
    expect(decide(delivery('PICKED_UP'), 'returnToStore', saga)).toEqual({ kind: 'apply', from: 'PICKED_UP', to: 'RETURNING' });
    expect(decide(delivery('PICKED_UP'), 'returnToStore', courier)).toMatchObject({ kind: 'refused', code: 'FORBIDDEN' });
    for (const status of ['RETURNING', 'RETURNED', 'DELIVERED'] as const) expect(decide(delivery(status), 'returnToStore', saga).kind).toBe('stale');
    expect(decide(delivery('RETURNING'), 'deliver', courier)).toMatchObject({ kind: 'refused', code: 'CONFLICT' });
    expect(decide(delivery('RETURNING'), 'markReturned', otherCourier)).toMatchObject({ kind: 'refused', code: 'FORBIDDEN' });
    expect(decide(delivery('RETURNING'), 'markReturned', courier)).toEqual({ kind: 'apply', from: 'RETURNING', to: 'RETURNED' });
  });

  it('never leaves a final state, whoever asks', () => {
    for (const trigger of Object.keys(transitions) as Trigger[]) {
      for (const status of terminalStatuses) {
        for (const actor of [courier, admin, saga]) expect(decide(delivery(status), trigger, actor).kind).not.toBe('apply');
      }
    }
    expect(deliveryStatuses.filter((status) => !terminalStatuses.includes(status))).toEqual(['REQUESTED', 'CLAIMED', 'PICKED_UP', 'RETURNING']);
  });
});
