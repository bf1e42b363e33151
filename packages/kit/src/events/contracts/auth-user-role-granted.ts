import { z } from 'zod';
import { roleSchema } from '../../principal';
import { defineEvent } from '../envelope';

export const AuthUserRoleGranted = defineEvent({
  type: 'auth.user.role-granted',
  version: 1,
  producer: 'auth',
  description: 'An account gained a role; grantedBy is the hq_admin who granted it, or null when configuration did.',
  data: z.object({
    userId: z.uuid(),
    role: roleSchema,
    grantedBy: z.uuid().nullable(),
  }),
});
