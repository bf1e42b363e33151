import { randomUUID } from 'node:crypto';
import { DomainError } from '@x/kit';
import { addContact, emptyCard, isEmptyCard, removeContact, updateContact, type CardEdit, type ContactCard, type ContactKind, type NewContact } from './contact-card';

const t0 = new Date('2026-11-24T10:00:00.000Z');
const t1 = new Date('2026-11-24T11:00:00.000Z');
const userCard = () => emptyCard({ type: 'user', id: randomUUID() });
const storeCard = () => emptyCard({ type: 'store', id: randomUUID() });

const home: NewContact<'address'> = { label: 'Home', lines: ['Hauptstr. 1'], city: 'Berlin', postalCode: '10115', country: 'DE', location: { lat: 52.53, lng: 13.38 } };
const work: NewContact<'address'> = { label: 'Work', lines: ['Friedrichstr. 100', '3rd floor'], city: 'Berlin', postalCode: '10117', country: 'DE', location: null };
const mobile = (number = '+4915112345678'): NewContact<'phone'> => ({ label: 'Mobile', number });

function add<K extends ContactKind>(card: ContactCard, kind: K, fields: NewContact<K>, isDefault?: boolean): CardEdit {
  return addContact(card, kind, fields, isDefault, { id: randomUUID(), now: t0 });
}

/** The invariant every edit keeps: a non-empty list has exactly one default. */
function defaultsOf(card: ContactCard): Record<ContactKind, number> {
  return {
    address: card.lists.address.filter((entry) => entry.isDefault).length,
    phone: card.lists.phone.filter((entry) => entry.isDefault).length,
    email: card.lists.email.filter((entry) => entry.isDefault).length,
  };
}

function codeOf(work: () => unknown): string | undefined {
  try {
    work();
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return undefined;
}

describe('contact card: exactly one default per kind', () => {
  it('makes the first entry of a kind the default even when isDefault is false', () => {
    const { card, change } = add(userCard(), 'address', home, false);
    expect(card.lists.address[0]).toMatchObject({ ...home, isDefault: true, createdAt: t0, updatedAt: t0 });
    expect(change).toEqual({ kind: 'address', itemId: card.lists.address[0]!.id, change: 'added', defaultId: card.lists.address[0]!.id });
  });

  it('keeps the default where it is when a later entry is added without isDefault', () => {
    const first = add(userCard(), 'address', home);
    const { card, change } = add(first.card, 'address', work);
    expect(card.lists.address.map((entry) => [entry.label, entry.isDefault])).toEqual([
      ['Home', true],
      ['Work', false],
    ]);
    expect(change.defaultId).toBe(first.change.itemId);
  });

  it('moves the default to a new entry added with isDefault: true, and touches the old default', () => {
    const first = add(userCard(), 'address', home);
    const { card, change } = addContact(first.card, 'address', work, true, { id: randomUUID(), now: t1 });
    expect(card.lists.address.map((entry) => [entry.label, entry.isDefault, entry.updatedAt])).toEqual([
      ['Home', false, t1],
      ['Work', true, t1],
    ]);
    expect(change.defaultId).toBe(change.itemId);
    expect(defaultsOf(card).address).toBe(1);
  });

  it('moves the default with an update to isDefault: true', () => {
    const first = add(userCard(), 'phone', mobile('+4915100000001'));
    const second = add(first.card, 'phone', mobile('+4915100000002'));
    const { card, change } = updateContact(second.card, 'phone', second.change.itemId, { isDefault: true }, t1);
    expect(card.lists.phone.map((entry) => entry.isDefault)).toEqual([false, true]);
    expect(change).toMatchObject({ change: 'updated', itemId: second.change.itemId, defaultId: second.change.itemId });
  });

  it('refuses isDefault: false on the default itself, since the kind would have none', () => {
    const { card, change } = add(userCard(), 'phone', mobile());
    expect(codeOf(() => updateContact(card, 'phone', change.itemId, { isDefault: false }, t1))).toBe('BAD_USER_INPUT');
  });

  it('accepts isDefault: false on an entry that is not the default, changing nothing about defaults', () => {
    const first = add(userCard(), 'phone', mobile('+4915100000001'));
    const second = add(first.card, 'phone', mobile('+4915100000002'));
    const { card } = updateContact(second.card, 'phone', second.change.itemId, { isDefault: false, label: 'Office' }, t1);
    expect(card.lists.phone.map((entry) => [entry.label, entry.isDefault])).toEqual([
      ['Mobile', true],
      ['Office', false],
    ]);
  });

  it('promotes the oldest remaining entry when the default is removed', () => {
    const first = add(storeCard(), 'address', home);
    const second = add(first.card, 'address', work);
    const third = add(second.card, 'address', { ...work, label: 'Depot' });
    const { card, change } = removeContact(third.card, 'address', first.change.itemId, t1);
    expect(card.lists.address.map((entry) => [entry.label, entry.isDefault])).toEqual([
      ['Work', true],
      ['Depot', false],
    ]);
    expect(change).toEqual({ kind: 'address', itemId: first.change.itemId, change: 'removed', defaultId: second.change.itemId });
  });

  it('leaves no default and an empty card when the last entry is removed', () => {
    const { card, change } = add(userCard(), 'address', home);
    const removed = removeContact(card, 'address', change.itemId, t1);
    expect(removed.change.defaultId).toBeNull();
    expect(isEmptyCard(removed.card)).toBe(true);
  });

  it('keeps exactly one default through any sequence of edits', () => {
    let card = storeCard();
    const ids: string[] = [];
    for (let step = 0; step < 60; step += 1) {
      const pick = ids[(step * 7) % Math.max(ids.length, 1)];
      let edit: CardEdit;
      if (step % 3 === 2 && pick) edit = removeContact(card, 'phone', pick, t1);
      else if (step % 3 === 1 && pick) edit = updateContact(card, 'phone', pick, { isDefault: true }, t1);
      else edit = add(card, 'phone', mobile(`+49151${String(step).padStart(7, '0')}`), step % 2 === 0);
      card = edit.card;
      ids.splice(0, ids.length, ...card.lists.phone.map((entry) => entry.id));
      expect(defaultsOf(card).phone).toBe(card.lists.phone.length > 0 ? 1 : 0);
    }
  });
});

describe('contact card: other rules', () => {
  it('refuses contact e-mails for users (their e-mail is their account’s) and accepts them for stores', () => {
    expect(codeOf(() => add(userCard(), 'email', { label: 'Private', address: 'ada@example.com' }))).toBe('BAD_USER_INPUT');
    expect(add(storeCard(), 'email', { label: 'Orders', address: 'orders@example.com' }).card.lists.email).toHaveLength(1);
  });

  it('refuses the same phone number or e-mail twice on one card (e-mails compared without case)', () => {
    const phone = add(userCard(), 'phone', mobile());
    expect(codeOf(() => add(phone.card, 'phone', { label: 'Again', number: '+4915112345678' }))).toBe('CONFLICT');
    const email = add(storeCard(), 'email', { label: 'Orders', address: 'Orders@Example.com' });
    expect(codeOf(() => add(email.card, 'email', { label: 'Again', address: 'orders@example.com' }))).toBe('CONFLICT');
  });

  it('refuses an update that makes an entry equal to another one, but not an update of an entry to itself', () => {
    const first = add(userCard(), 'phone', mobile('+4915100000001'));
    const second = add(first.card, 'phone', mobile('+4915100000002'));
    expect(codeOf(() => updateContact(second.card, 'phone', second.change.itemId, { number: '+4915100000001' }, t1))).toBe('CONFLICT');
    expect(updateContact(second.card, 'phone', second.change.itemId, { number: '+4915100000002', label: 'Work' }, t1).card.lists.phone[1]).toMatchObject({
      label: 'Work',
      updatedAt: t1,
    });
  });

  it('holds at most 20 addresses and 10 phone numbers', () => {
    let card = userCard();
    for (let index = 0; index < 20; index += 1) card = add(card, 'address', { ...home, label: `Address ${index}` }).card;
    expect(codeOf(() => add(card, 'address', home))).toBe('CONFLICT');
    for (let index = 0; index < 10; index += 1) card = add(card, 'phone', mobile(`+4915100000${String(index).padStart(3, '0')}`)).card;
    expect(codeOf(() => add(card, 'phone', mobile('+4915199999999')))).toBe('CONFLICT');
  });

  it('answers NOT_FOUND for an entry that is not on the card', () => {
    const { card } = add(userCard(), 'address', home);
    expect(codeOf(() => updateContact(card, 'address', randomUUID(), { city: 'Hamburg' }, t1))).toBe('NOT_FOUND');
    expect(codeOf(() => removeContact(card, 'address', randomUUID(), t1))).toBe('NOT_FOUND');
    expect(codeOf(() => removeContact(card, 'phone', card.lists.address[0]!.id, t1))).toBe('NOT_FOUND');
  });

  it('changes only the patched fields and the update time; location null removes the location', () => {
    const { card, change } = add(userCard(), 'address', home);
    const updated = updateContact(card, 'address', change.itemId, { city: 'Potsdam', location: null }, t1).card.lists.address[0];
    expect(updated).toEqual({ ...card.lists.address[0], city: 'Potsdam', location: null, updatedAt: t1 });
  });
});
