import { defineEvent } from '../envelope';
import { contactEntryChangeSchema } from './contact-infos-shapes';

export const ContactAddressChanged = defineEvent({
  type: 'contact-infos.address.changed',
  version: 1,
  producer: 'contact-infos',
  description: "A user's or a store's address was added, updated or removed; the address itself is read from contact-infos.",
  data: contactEntryChangeSchema,
});
