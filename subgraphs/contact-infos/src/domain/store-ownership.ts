/**
 * Whether a store snapshot should replace the ownership held. Retry queues can deliver an older
 * snapshot after a newer one; its lower revision makes it a no-op. A snapshot without a revision
 * (older producers) is applied, as the latest word.
 */
export function isNewerSnapshot(heldRevision: number | null, incomingRevision: number | undefined): boolean {
  if (incomingRevision === undefined || heldRevision === null) return true;
  return incomingRevision > heldRevision;
}
