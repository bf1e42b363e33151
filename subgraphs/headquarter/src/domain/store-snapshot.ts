/** Which store snapshot the approval queue holds. */
export interface SnapshotVersion {
  /** The store's change counter, when its event carried one. */
  revision: number | null;
  /** The event's time. */
  at: Date;
}

/**
 * Whether an incoming snapshot replaces the one held. Retries reorder events, so a late, older
 * snapshot must not win: revisions decide when both sides have one, event times otherwise (an equal
 * time applies, so a redelivery of the same snapshot is harmless).
 */
export function supersedes(incoming: SnapshotVersion, held: SnapshotVersion): boolean {
  if (incoming.revision !== null && held.revision !== null) return incoming.revision > held.revision;
  return incoming.at.getTime() >= held.at.getTime();
}

/**
 * Since when the store is in its status once `incoming` replaced `held`: unchanged while the status
 * stays, the replacing event's time when it moves. (A store seen first through a late update is dated
 * by that update: the queue orders by it, nothing else depends on it.)
 */
export function statusSinceAfter(held: { status: string; statusSince: Date } | null, incoming: { status: string; at: Date }): Date {
  return held && held.status === incoming.status ? held.statusSince : incoming.at;
}
