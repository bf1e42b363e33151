import { defineEvent } from '../envelope';
import { contactEntryChangeSchema } from './contact-infos-shapes';

export const ContactEmailChanged = defineEvent({
  type: 'contact-infos.email.changed',
  version: 1,
  producer: 'contact-infos',
  description: "A user's or a store's e-mail address was added, updated or removed; the e-mail address itself is read from contact-infos.",
  data: contactEntryChangeSchema,
});
