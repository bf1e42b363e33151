import { z } from 'zod';
import { roleSchema } from '../../principal';
import { defineEvent } from '../envelope';

export const AuthUserRegistered = defineEvent({
  type: 'auth.user.registered',
  version: 1,
  producer: 'auth',
  description: 'An account was created; user creates the profile from it.',
  data: z.object({
    userId: z.uuid(),
    email: z.email(),
    roles: z.array(roleSchema).min(1),
    displayName: z.string().min(1).max(80),
  }),
  personalData: ['email', 'displayName'],
});
