import { assertTransitionTable, namedTransitions, type Role } from '@x/kit';

export const orderStatuses = [
  'PENDING',
  'CONFIRMED',
  'PREPARING',
  'READY_FOR_PICKUP',
  'OUT_FOR_DELIVERY',
  'DELIVERED',
  'REJECTED',
  'CANCELLED',
] as const;
export type OrderStatus = (typeof orderStatuses)[number];

export const terminalStatuses: readonly OrderStatus[] = ['DELIVERED', 'REJECTED', 'CANCELLED'];

/** A signed-in caller: the store's owner, the customer, or an hq_admin. */
export interface Person {
  kind: 'person';
  userId: string;
  roles: readonly Role[];
}

/** Who may fire a trigger: the saga's events or a person. */
export type Actor = { kind: 'event' } | Person;

export interface OrderFacts {
  status: OrderStatus;
  customerId: string | null;
  storeOwnerId: string | null;
}

type Guard = (order: OrderFacts, actor: Actor) => string | undefined;

interface Transition {
  from: readonly OrderStatus[];
  to: OrderStatus;
  /** Returns why the actor may not fire this trigger, or undefined when it may. */
  guard: Guard;
}

const byEvent: Guard = (_order, actor) => (actor.kind === 'event' ? undefined : 'only the order saga fires this');
const isAdmin = (actor: Actor) => actor.kind === 'person' && actor.roles.includes('hq_admin');
const byStoreOwner: Guard = (order, actor) =>
  actor.kind === 'person' && (actor.userId === order.storeOwnerId || isAdmin(actor)) ? undefined : "only the store's owner can do this";
const byCustomerOrAdmin: Guard = (order, actor) =>
  actor.kind === 'person' && (actor.userId === order.customerId || isAdmin(actor)) ? undefined : 'only the customer or an hq_admin can cancel this order';

/**
 * The order's life as data: each trigger, the states it may fire from, where it leads, and who may
 * fire it. Checked for consistency when the service starts (validateTransitionTable).
 */
export const transitions = {
  stockReserved: { from: ['PENDING'], to: 'CONFIRMED', guard: byEvent },
  stockRejected: { from: ['PENDING'], to: 'REJECTED', guard: byEvent },
  accept: { from: ['CONFIRMED'], to: 'PREPARING', guard: byStoreOwner },
  decline: { from: ['CONFIRMED'], to: 'REJECTED', guard: byStoreOwner },
  markReady: { from: ['PREPARING'], to: 'READY_FOR_PICKUP', guard: byStoreOwner },
  pickedUp: { from: ['READY_FOR_PICKUP'], to: 'OUT_FOR_DELIVERY', guard: byEvent },
  delivered: { from: ['OUT_FOR_DELIVERY'], to: 'DELIVERED', guard: byEvent },
  cancel: { from: ['PENDING', 'CONFIRMED', 'PREPARING', 'READY_FOR_PICKUP'], to: 'CANCELLED', guard: byCustomerOrAdmin },
} as const satisfies Record<string, Transition>;

export type Trigger = keyof typeof transitions;

/** The happy path's order, to tell an event that arrived early from one that arrived late. */
const progress: Record<OrderStatus, number> = {
  PENDING: 0,
  CONFIRMED: 1,
  PREPARING: 2,
  READY_FOR_PICKUP: 3,
  OUT_FOR_DELIVERY: 4,
  DELIVERED: 5,
  REJECTED: 6,
  CANCELLED: 6,
};

export type Decision =
  | { kind: 'apply'; from: OrderStatus; to: OrderStatus }
  /** The order is already there or past it: a repeated or late event changes nothing. */
  | { kind: 'stale'; reason: string }
  /** The event came before the one that leads to its starting state: try again later. */
  | { kind: 'early'; reason: string }
  | { kind: 'refused'; code: 'FORBIDDEN' | 'CONFLICT'; reason: string };

export function decide(order: OrderFacts, trigger: Trigger, actor: Actor): Decision {
  const transition: Transition = transitions[trigger];
  const refusal = transition.guard(order, actor);
  if (refusal) return { kind: 'refused', code: 'FORBIDDEN', reason: refusal };
  if (transition.from.includes(order.status)) return { kind: 'apply', from: order.status, to: transition.to };
  const reason = `cannot ${trigger} an order that is ${order.status}`;
  if (actor.kind === 'person') return { kind: 'refused', code: 'CONFLICT', reason };
  if (order.status === transition.to || progress[order.status] >= progress[transition.to] || terminalStatuses.includes(order.status)) {
    return { kind: 'stale', reason };
  }
  return { kind: 'early', reason };
}

/** Fails at start when the table has an unreachable state, a dead end, or a way out of a final state. */
export function validateTransitionTable(): void {
  assertTransitionTable('order', { states: orderStatuses, initial: 'PENDING', final: terminalStatuses, transitions: namedTransitions<OrderStatus>(transitions) });
}

/** Before pick-up picks may hold stock for the order; cancelling then must release it. */
export function mayHoldStock(status: OrderStatus): boolean {
  return ['PENDING', 'CONFIRMED', 'PREPARING', 'READY_FOR_PICKUP'].includes(status);
}
