import { badInput, conflict, notFound } from '@x/kit';

export type OwnerType = 'user' | 'store';

/** Whose card it is: a user (their own addresses and phones) or a store (its public contact). */
export interface Owner {
  readonly type: OwnerType;
  readonly id: string;
}

/** One card per owner; the key is its document id and its DataLoader key. */
export function ownerKey(owner: Owner): string {
  return `${owner.type}:${owner.id}`;
}

export interface GeoPoint {
  lat: number;
  lng: number;
}

interface ContactItem {
  id: string;
  label: string;
  isDefault: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface Address extends ContactItem {
  lines: string[];
  city: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2, upper case. */
  country: string;
  location: GeoPoint | null;
}

export interface Phone extends ContactItem {
  /** E.164, e.g. +4915112345678. */
  number: string;
}

export interface Email extends ContactItem {
  address: string;
}

export type ContactKind = 'address' | 'phone' | 'email';

interface ItemOf {
  address: Address;
  phone: Phone;
  email: Email;
}

export type ContactLists = { [K in ContactKind]: ItemOf[K][] };

/** Each list is in the order its entries were added; exactly one entry of a non-empty list is the default. */
export interface ContactCard {
  owner: Owner;
  lists: ContactLists;
}

/** What a caller gives for a new entry; id, default flag and times are the card's business. */
export type NewContact<K extends ContactKind> = Omit<ItemOf[K], keyof ContactItem> & { label: string };
export type ContactPatch<K extends ContactKind> = Partial<NewContact<K>> & { isDefault?: boolean };

/** What an edit did, for the event that reports it. */
export interface ContactChange {
  kind: ContactKind;
  itemId: string;
  change: 'added' | 'updated' | 'removed';
  /** The kind's default entry after the change; null when the list is now empty. */
  defaultId: string | null;
}

export interface CardEdit {
  card: ContactCard;
  change: ContactChange;
}

interface KindRules<K extends ContactKind> {
  noun: string;
  plural: string;
  max: number;
  /** Two entries that must not both be on one card (the same number, the same mailbox). */
  sameAs?: (a: NewContact<K>, b: NewContact<K>) => boolean;
}

const rules: { [K in ContactKind]: KindRules<K> } = {
  address: { noun: 'address', plural: 'addresses', max: 20 },
  phone: { noun: 'phone number', plural: 'phone numbers', max: 10, sameAs: (a, b) => a.number === b.number },
  email: { noun: 'e-mail address', plural: 'e-mail addresses', max: 10, sameAs: (a, b) => a.address.toLowerCase() === b.address.toLowerCase() },
};

export function emptyCard(owner: Owner): ContactCard {
  return { owner, lists: { address: [], phone: [], email: [] } };
}

export function isEmptyCard(card: ContactCard): boolean {
  return card.lists.address.length === 0 && card.lists.phone.length === 0 && card.lists.email.length === 0;
}

/**
 * Adds an entry. The first of its kind is the default whatever `isDefault` says (a non-empty list has
 * exactly one); `isDefault: true` moves the default to the new entry.
 */
export function addContact<K extends ContactKind>(
  card: ContactCard,
  kind: K,
  fields: NewContact<K>,
  isDefault: boolean | undefined,
  stamp: { id: string; now: Date },
): CardEdit {
  const { noun, plural, max, sameAs } = rules[kind] as KindRules<K>;
  if (kind === 'email' && card.owner.type === 'user') {
    throw badInput("users have no contact e-mail addresses here: a user's e-mail is their account's, managed by auth");
  }
  const items = card.lists[kind];
  if (items.length >= max) throw conflict(`a card holds at most ${max} ${plural}: remove one first`);
  if (sameAs && items.some((item) => sameAs(item, fields))) throw conflict(`this ${noun} is already on the card`);
  const makeDefault = items.length === 0 || isDefault === true;
  const item = { ...fields, id: stamp.id, isDefault: makeDefault, createdAt: stamp.now, updatedAt: stamp.now } as ItemOf[K];
  const next = [...(makeDefault ? items.map((entry) => withDefault(entry, false, stamp.now)) : items), item];
  return edited(card, kind, next, { itemId: item.id, change: 'added' });
}

/** Changes an entry's fields; `isDefault: true` makes it the default, `false` is refused on the default itself. */
export function updateContact<K extends ContactKind>(card: ContactCard, kind: K, id: string, patch: ContactPatch<K>, now: Date): CardEdit {
  const { noun, sameAs } = rules[kind] as KindRules<K>;
  const items = card.lists[kind];
  const current = items.find((item) => item.id === id);
  if (!current) throw notFound(`no ${noun} ${id} on this card`);
  if (patch.isDefault === false && current.isDefault) {
    throw badInput(`isDefault: a card has exactly one default ${noun}; make another one the default instead`);
  }
  const { isDefault, ...fields } = patch;
  const changed = { ...current, ...fields, updatedAt: now } as ItemOf[K];
  if (sameAs && items.some((item) => item.id !== id && sameAs(item, changed))) throw conflict(`this ${noun} is already on the card`);
  const next = items.map((item) => {
    if (item.id === id) return isDefault === true ? withDefault(changed, true, now) : changed;
    return isDefault === true && item.isDefault ? withDefault(item, false, now) : item;
  });
  return edited(card, kind, next, { itemId: id, change: 'updated' });
}

/** Removes an entry; when it was the default, the oldest remaining entry becomes the default. */
export function removeContact<K extends ContactKind>(card: ContactCard, kind: K, id: string, now: Date): CardEdit {
  const { noun } = rules[kind] as KindRules<K>;
  const items = card.lists[kind];
  const removed = items.find((item) => item.id === id);
  if (!removed) throw notFound(`no ${noun} ${id} on this card`);
  const rest = items.filter((item) => item.id !== id);
  const next = removed.isDefault && rest.length > 0 ? rest.map((item, index) => (index === 0 ? withDefault(item, true, now) : item)) : rest;
  return edited(card, kind, next, { itemId: id, change: 'removed' });
}

function withDefault<T extends ContactItem>(item: T, isDefault: boolean, now: Date): T {
  return item.isDefault === isDefault ? item : { ...item, isDefault, updatedAt: now };
}

function edited<K extends ContactKind>(card: ContactCard, kind: K, items: ItemOf[K][], change: Pick<ContactChange, 'itemId' | 'change'>): CardEdit {
  // TypeScript cannot relate a generic key of a mapped type to its value type; `items` is ItemOf[K][].
  const lists = { ...card.lists, [kind]: items } as ContactLists;
  return {
    card: { ...card, lists },
    change: { ...change, kind, defaultId: items.find((item) => item.isDefault)?.id ?? null },
  };
}
