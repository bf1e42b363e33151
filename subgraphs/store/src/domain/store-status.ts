import { DomainError, forbidden, storeStatusSchema, transitionTableProblems as kitTransitionTableProblems, type StoreStatus } from '@x/kit';

export const storeStatuses: readonly StoreStatus[] = storeStatusSchema.options;
export const initialStoreStatus: StoreStatus = 'PENDING_APPROVAL';

export type StoreTransitionName = 'approve' | 'close' | 'reopen' | 'suspend' | 'reinstate';
/** Who may fire a transition: the store's own owner, or any hq_admin. */
export type TransitionActor = 'owner' | 'hq_admin';

/** What guards look at: the store as it is, under its row lock. */
export interface StoreFacts {
  status: StoreStatus;
  ownerId: string;
  categoryCount: number;
  hasOpeningHours: boolean;
}

/** Returns why the transition cannot happen now, or null to let it through. */
export type Guard = (store: StoreFacts) => string | null;

export interface StoreTransition {
  name: StoreTransitionName;
  from: readonly StoreStatus[];
  to: StoreStatus;
  by: TransitionActor;
  guards: readonly Guard[];
}

const needsCategory: Guard = (store) => (store.categoryCount > 0 ? null : 'the store is filed under no category; add one first');
const needsOpeningHours: Guard = (store) => (store.hasOpeningHours ? null : 'the store has no opening hours; add them first');

/** The store lifecycle as data. Creation (by a store_owner) puts a store in PENDING_APPROVAL. */
export const storeTransitions: readonly StoreTransition[] = [
  { name: 'approve', from: ['PENDING_APPROVAL'], to: 'OPEN', by: 'hq_admin', guards: [needsCategory, needsOpeningHours] },
  { name: 'close', from: ['OPEN'], to: 'CLOSED', by: 'owner', guards: [] },
  { name: 'reopen', from: ['CLOSED'], to: 'OPEN', by: 'owner', guards: [needsCategory, needsOpeningHours] },
  { name: 'suspend', from: ['OPEN', 'CLOSED'], to: 'SUSPENDED', by: 'hq_admin', guards: [] },
  { name: 'reinstate', from: ['SUSPENDED'], to: 'OPEN', by: 'hq_admin', guards: [needsCategory, needsOpeningHours] },
];

/** The typed answer to a transition the store's current status does not allow. */
export class IllegalTransitionError extends DomainError {
  constructor(transition: StoreTransition, status: StoreStatus) {
    super('CONFLICT', `cannot ${transition.name} a store that is ${status}; ${transition.name} applies to ${transition.from.join(' or ')} stores`, {
      reason: 'ILLEGAL_TRANSITION',
      transition: transition.name,
      status,
      allowedFrom: [...transition.from],
    });
    this.name = 'IllegalTransitionError';
  }
}

/** A transition the status allows but a guard refused, with the guard's reason. */
export class TransitionRefusedError extends DomainError {
  constructor(transition: StoreTransition, refusal: string) {
    super('CONFLICT', `cannot ${transition.name} the store: ${refusal}`, { reason: 'GUARD_REFUSED', transition: transition.name });
    this.name = 'TransitionRefusedError';
  }
}

export interface TransitionCaller {
  userId: string;
  isHqAdmin: boolean;
}

/**
 * Decides a transition: the caller must be the actor the table names (FORBIDDEN), the store must be
 * in one of its `from` states (IllegalTransitionError) and every guard must pass (TransitionRefusedError).
 */
export function decideTransition(table: readonly StoreTransition[], name: StoreTransitionName, store: StoreFacts, caller: TransitionCaller): StoreTransition {
  const transition = table.find((candidate) => candidate.name === name);
  if (!transition) throw new Error(`no transition ${name} in the store transition table`);
  const allowed = transition.by === 'owner' ? caller.userId === store.ownerId : caller.isHqAdmin;
  if (!allowed) throw forbidden(transition.by === 'owner' ? `only the store's owner can ${name} it` : `only an hq_admin can ${name} a store`);
  if (!transition.from.includes(store.status)) throw new IllegalTransitionError(transition, store.status);
  for (const guard of transition.guards) {
    const refusal = guard(store);
    if (refusal !== null) throw new TransitionRefusedError(transition, refusal);
  }
  return transition;
}

/** Everything wrong with a transition table (the kit's check); empty when it is sound. Checked when the service starts. */
export function transitionTableProblems(table: readonly StoreTransition[], statuses: readonly StoreStatus[] = storeStatuses, initial: StoreStatus = initialStoreStatus): string[] {
  return kitTransitionTableProblems({ states: statuses, initial, transitions: table });
}

export function assertValidTransitionTable(table: readonly StoreTransition[]): void {
  const problems = transitionTableProblems(table);
  if (problems.length > 0) throw new Error(`the store transition table is invalid: ${problems.join('; ')}`);
}
