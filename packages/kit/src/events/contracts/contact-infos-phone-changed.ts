import { defineEvent } from '../envelope';
import { contactEntryChangeSchema } from './contact-infos-shapes';

export const ContactPhoneChanged = defineEvent({
  type: 'contact-infos.phone.changed',
  version: 1,
  producer: 'contact-infos',
  description: "A user's or a store's phone number was added, updated or removed; the phone number itself is read from contact-infos.",
  data: contactEntryChangeSchema,
});
