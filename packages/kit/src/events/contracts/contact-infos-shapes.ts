import { z } from 'zod';

/** Whose contact card an event is about. */
export const contactOwnerSchema = z.object({ type: z.enum(['user', 'store']), id: z.uuid() });

/**
 * A change to one entry of a card. No addresses, numbers or mailboxes travel in events (they are
 * personal data, and events are kept in the audit trail): consumers read them from contact-infos.
 */
export const contactEntryChangeSchema = z.object({
  owner: contactOwnerSchema,
  itemId: z.uuid(),
  change: z.enum(['added', 'updated', 'removed']),
  /** The owner's default entry of this kind after the change; null when none is left. */
  defaultItemId: z.uuid().nullable(),
});
