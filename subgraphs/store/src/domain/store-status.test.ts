import { DomainError, type StoreStatus } from '@x/kit';
import {
  decideTransition,
  IllegalTransitionError,
  storeTransitions,
  transitionTableProblems,
  TransitionRefusedError,
  type StoreFacts,
  type StoreTransition,
  type StoreTransitionName,
} from './store-status';

const ownerId = 'owner-1';
const owner = { userId: ownerId, isHqAdmin: false };
const stranger = { userId: 'someone-else', isHqAdmin: false };
const admin = { userId: 'admin-1', isHqAdmin: true };
const store = (status: StoreStatus, overrides: Partial<StoreFacts> = {}): StoreFacts => ({ status, ownerId, categoryCount: 1, hasOpeningHours: true, ...overrides });

const codeOf = (work: () => unknown): string => {
  try {
    work();
    return 'ok';
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
};

describe('the store transition table', () => {
  it('is sound: every status reachable from PENDING_APPROVAL and none a dead end', () => {
    expect(transitionTableProblems(storeTransitions)).toEqual([]);
  });

  it('reports a duplicate, an unknown status, a self loop, an unreachable status and a dead end', () => {
    const broken: StoreTransition[] = [
      { name: 'approve', from: ['PENDING_APPROVAL'], to: 'OPEN', by: 'hq_admin', guards: [] },
      { name: 'approve', from: ['OPEN'], to: 'OPEN', by: 'hq_admin', guards: [] },
      { name: 'close', from: ['OPEN'], to: 'ARCHIVED' as StoreStatus, by: 'owner', guards: [] },
    ];
    expect(transitionTableProblems(broken)).toEqual([
      'transition approve is defined twice',
      'transition approve leads from OPEN to itself',
      'transition close names unknown state ARCHIVED',
      'state CLOSED cannot be reached from PENDING_APPROVAL',
      'state CLOSED is a dead end: no transition leaves it',
      'state SUSPENDED cannot be reached from PENDING_APPROVAL',
      'state SUSPENDED is a dead end: no transition leaves it',
    ]);
  });
});

describe('deciding a transition', () => {
  // Every (transition, status) pair: the allowed ones lead where the table says, the others are CONFLICT.
  const expectedTarget: Record<StoreTransitionName, Partial<Record<StoreStatus, StoreStatus>>> = {
    approve: { PENDING_APPROVAL: 'OPEN' },
    close: { OPEN: 'CLOSED' },
    reopen: { CLOSED: 'OPEN' },
    suspend: { OPEN: 'SUSPENDED', CLOSED: 'SUSPENDED' },
    reinstate: { SUSPENDED: 'OPEN' },
  };
  const cases = storeTransitions.flatMap((transition) =>
    (['PENDING_APPROVAL', 'OPEN', 'CLOSED', 'SUSPENDED'] as const).map((status) => [transition.name, status, expectedTarget[transition.name][status] ?? 'CONFLICT'] as const),
  );

  it.each(cases)('%s from %s → %s', (name, status, expected) => {
    const caller = storeTransitions.find((t) => t.name === name)?.by === 'owner' ? owner : admin;
    let outcome: string;
    try {
      outcome = decideTransition(storeTransitions, name, store(status), caller).to;
    } catch (error) {
      expect(error).toBeInstanceOf(IllegalTransitionError);
      outcome = (error as DomainError).code;
    }
    expect(outcome).toBe(expected);
  });

  it('lets only the owner close and reopen, and only hq_admin approve, suspend and reinstate', () => {
    expect(codeOf(() => decideTransition(storeTransitions, 'close', store('OPEN'), stranger))).toBe('FORBIDDEN');
    expect(codeOf(() => decideTransition(storeTransitions, 'close', store('OPEN'), admin))).toBe('FORBIDDEN');
    expect(codeOf(() => decideTransition(storeTransitions, 'approve', store('PENDING_APPROVAL'), owner))).toBe('FORBIDDEN');
    expect(codeOf(() => decideTransition(storeTransitions, 'suspend', store('OPEN'), owner))).toBe('FORBIDDEN');
    expect(codeOf(() => decideTransition(storeTransitions, 'reinstate', store('SUSPENDED'), owner))).toBe('FORBIDDEN');
  });

  it('refuses to open a store without categories or opening hours, with the guard’s reason', () => {
    expect(() => decideTransition(storeTransitions, 'approve', store('PENDING_APPROVAL', { categoryCount: 0 }), admin)).toThrow(TransitionRefusedError);
    expect(() => decideTransition(storeTransitions, 'reopen', store('CLOSED', { hasOpeningHours: false }), owner)).toThrow(/no opening hours/);
  });

  it('checks who asks before the status, so a stranger learns nothing about the state', () => {
    expect(codeOf(() => decideTransition(storeTransitions, 'close', store('SUSPENDED'), stranger))).toBe('FORBIDDEN');
  });
});
