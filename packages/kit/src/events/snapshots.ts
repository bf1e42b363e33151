/** Which snapshot of another service's entity a projection row reflects. */
export interface SnapshotVersion {
  /** The owner's change counter, when its event carried one. */
  revision: number | null;
  /** The event's time. */
  at: Date;
}

/**
 * Whether an incoming snapshot replaces the one a projection holds. Retries reorder events, so a
 * late, older snapshot must not win: revisions decide when both sides have one, event times
 * otherwise (an equal time applies, so a redelivery of the same snapshot is harmless).
 */
export function supersedes(incoming: SnapshotVersion, held: SnapshotVersion): boolean {
  if (incoming.revision !== null && held.revision !== null) return incoming.revision > held.revision;
  return incoming.at.getTime() >= held.at.getTime();
}
