import { z } from 'zod';
import { defineEvent } from '../envelope';

export const UserProfileUpdated = defineEvent({
  type: 'user.profile.updated',
  version: 1,
  producer: 'user',
  description: "A user's profile changed; `changed` names the fields, whose new values are read from user.",
  data: z.object({
    userId: z.uuid(),
    changed: z.array(z.string().min(1)).min(1),
  }),
});
