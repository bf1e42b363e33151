import type { Address, ContactCard, Email, Phone } from '../domain/contact-card';

/** The GraphQL `ContactCard`: named lists, empty when the owner has no card. */
export interface CardView {
  addresses: Address[];
  phones: Phone[];
  emails: Email[];
}

export function cardView(card: ContactCard | null): CardView {
  return { addresses: card?.lists.address ?? [], phones: card?.lists.phone ?? [], emails: card?.lists.email ?? [] };
}
