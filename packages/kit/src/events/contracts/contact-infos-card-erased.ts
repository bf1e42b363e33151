import { z } from 'zod';
import { defineEvent } from '../envelope';
import { contactOwnerSchema } from './contact-infos-shapes';

export const ContactCardErased = defineEvent({
  type: 'contact-infos.card.erased',
  version: 1,
  producer: 'contact-infos',
  description: "A deleted account's contact card (addresses, phones) was erased; the counts say how many entries went.",
  data: z.object({
    owner: contactOwnerSchema,
    addresses: z.number().int().min(0),
    phones: z.number().int().min(0),
    emails: z.number().int().min(0),
  }),
});
