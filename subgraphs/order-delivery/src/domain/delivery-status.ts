import { assertTransitionTable, namedTransitions, type Role } from '@x/kit';

export const deliveryStatuses = ['REQUESTED', 'CLAIMED', 'PICKED_UP', 'DELIVERED', 'CANCELLED', 'RETURNING', 'RETURNED'] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

export const terminalStatuses: readonly DeliveryStatus[] = ['DELIVERED', 'CANCELLED', 'RETURNED'];

/** Who fires a trigger: the order saga's events, or a person (a courier, through the API). */
export type Actor = { kind: 'event' } | { kind: 'person'; userId: string; roles: readonly Role[] };

/** What the rules look at: the delivery, and how far its order is by order-delivery's projection. */
export interface DeliveryFacts {
  status: DeliveryStatus;
  courierId: string | null;
  /** The order's status as the projection of order events has it; null when none arrived yet. */
  orderStatus: string | null;
}

type Rule = (delivery: DeliveryFacts, actor: Actor) => string | undefined;

interface Transition {
  from: readonly DeliveryStatus[];
  to: DeliveryStatus;
  /** Returns why the actor may not fire this trigger (FORBIDDEN), or undefined when it may. */
  guard: Rule;
  /** Returns why the delivery is not ready for it although the actor may fire it (CONFLICT). */
  requires?: Rule;
}

const byEvent: Rule = (_delivery, actor) => (actor.kind === 'event' ? undefined : 'only the order saga fires this');
const byCourier: Rule = (_delivery, actor) => (actor.kind === 'person' && actor.roles.includes('courier') ? undefined : 'only a courier can claim a delivery');
const byClaimingCourier: Rule = (delivery, actor) =>
  actor.kind === 'person' && actor.roles.includes('courier') && delivery.courierId === actor.userId ? undefined : 'only the courier who claimed this delivery can do this';
const orderReadyForPickup: Rule = (delivery) =>
  delivery.orderStatus === 'READY_FOR_PICKUP' ? undefined : `the order is not ready for pick-up yet (it is ${delivery.orderStatus ?? 'unknown here'})`;

/**
 * The delivery's life as data: each trigger, the states it may fire from, where it leads, who may
 * fire it and what it waits for. Checked for consistency when the service starts (validateTransitionTable).
 */
export const transitions = {
  claim: { from: ['REQUESTED'], to: 'CLAIMED', guard: byCourier },
  pickUp: { from: ['CLAIMED'], to: 'PICKED_UP', guard: byClaimingCourier, requires: orderReadyForPickup },
  deliver: { from: ['PICKED_UP'], to: 'DELIVERED', guard: byClaimingCourier },
  cancel: { from: ['REQUESTED', 'CLAIMED'], to: 'CANCELLED', guard: byEvent },
  // The order was cancelled while the courier was picking it up (the cancellation reached this
  // service after the pick-up): the cancellation stands, picks has put the stock back, so the goods
  // go back to the store rather than to the customer.
  returnToStore: { from: ['PICKED_UP'], to: 'RETURNING', guard: byEvent },
  markReturned: { from: ['RETURNING'], to: 'RETURNED', guard: byClaimingCourier },
} as const satisfies Record<string, Transition>;

export type Trigger = keyof typeof transitions;

export type Decision =
  | { kind: 'apply'; from: DeliveryStatus; to: DeliveryStatus }
  /** A repeated or late event: the delivery is already there, or past the point where it applies. */
  | { kind: 'stale'; reason: string }
  | { kind: 'refused'; code: 'FORBIDDEN' | 'CONFLICT'; reason: string };

export function decide(delivery: DeliveryFacts, trigger: Trigger, actor: Actor): Decision {
  const transition: Transition = transitions[trigger];
  const refusal = transition.guard(delivery, actor);
  if (refusal) return { kind: 'refused', code: 'FORBIDDEN', reason: refusal };
  if (!transition.from.includes(delivery.status)) {
    const reason = `cannot ${trigger} a delivery that is ${delivery.status}`;
    // Event triggers (cancel, returnToStore) fire from earlier states; a delivery elsewhere has moved past them.
    return actor.kind === 'event' ? { kind: 'stale', reason } : { kind: 'refused', code: 'CONFLICT', reason };
  }
  const waiting = transition.requires?.(delivery, actor);
  if (waiting) return { kind: 'refused', code: 'CONFLICT', reason: waiting };
  return { kind: 'apply', from: delivery.status, to: transition.to };
}

/** Fails at start when the table has an unreachable state, a dead end, or a way out of a final state. */
export function validateTransitionTable(): void {
  assertTransitionTable('delivery', { states: deliveryStatuses, initial: 'REQUESTED', final: terminalStatuses, transitions: namedTransitions<DeliveryStatus>(transitions) });
}
