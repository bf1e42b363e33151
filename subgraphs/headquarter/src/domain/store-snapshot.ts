/**
 * Since when the store is in its status once `incoming` replaced `held`: unchanged while the status
 * stays, the replacing event's time when it moves. (A store seen first through a late update is dated
 * by that update: the queue orders by it, nothing else depends on it.)
 */
export function statusSinceAfter(held: { status: string; statusSince: Date } | null, incoming: { status: string; at: Date }): Date {
  return held && held.status === incoming.status ? held.statusSince : incoming.at;
}
