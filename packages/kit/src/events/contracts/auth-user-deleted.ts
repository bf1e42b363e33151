import { z } from 'zod';
import { defineEvent } from '../envelope';

export const AuthUserDeleted = defineEvent({
  type: 'auth.user.deleted',
  version: 1,
  producer: 'auth',
  description: "An account was deleted by its owner or an hq_admin; every service erases or anonymises that person's data.",
  data: z.object({
    userId: z.uuid(),
    deletedBy: z.uuid(),
  }),
});
