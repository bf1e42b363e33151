import { z } from 'zod';
import { defineEvent } from '../envelope';

export const PickDeleted = defineEvent({
  type: 'picks.pick.deleted',
  version: 1,
  producer: 'picks',
  description: 'A pick was removed from its catalog (by its owner or an hq_admin); pending reservations of it still release or commit.',
  data: z.object({ pickId: z.uuid(), storeId: z.uuid(), deletedBy: z.uuid() }),
});
