import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import { DateTimeScalar, loadTypeDefs, parseInput, requirePrincipal } from '@x/kit';
import { z } from 'zod';
import { authorizeCardChange, authorizeUserContactsRead } from '../domain/access';
import { addContact, ownerKey, removeContact, updateContact, type CardEdit, type ContactCard, type Owner } from '../domain/contact-card';
import { addressPatchSchema, emailPatchSchema, itemIdSchema, newAddressSchema, newEmailSchema, newPhoneSchema, ownerSchema, phonePatchSchema } from '../domain/inputs';
import { cardView, type CardView } from './card-view';
import type { ContactContext } from './context';

export const typeDefs = loadTypeDefs(path.resolve(__dirname, '../../src/schema/schema.graphql'));

interface EntityRef {
  id: string;
}

type Edit = (card: ContactCard, now: Date) => CardEdit;

/**
 * One card mutation: the caller must be signed in, the arguments valid, and the caller allowed to
 * change this owner's card (a store's owner comes from the projection of store events).
 */
function cardMutation<S extends z.ZodType<{ owner: Owner }>>(schema: S, edit: (args: z.output<S>) => Edit) {
  return async (_root: unknown, args: unknown, context: ContactContext): Promise<CardView> => {
    const caller = requirePrincipal(context.principal);
    const parsed = parseInput(schema, args);
    const store = parsed.owner.type === 'store' ? await context.storeOwners.find(parsed.owner.id) : null;
    authorizeCardChange(caller, parsed.owner, store);
    return cardView(await context.cards.change(parsed.owner, edit(parsed)));
  };
}

const stamp = (now: Date) => ({ id: randomUUID(), now });

export const resolvers: GraphQLResolverMap<ContactContext> = {
  DateTime: DateTimeScalar,
  Mutation: {
    addAddress: cardMutation(z.object({ owner: ownerSchema, input: newAddressSchema }), ({ input: { isDefault, ...fields } }) => (card, now) =>
      addContact(card, 'address', fields, isDefault, stamp(now)),
    ),
    updateAddress: cardMutation(z.object({ owner: ownerSchema, addressId: itemIdSchema, input: addressPatchSchema }), ({ addressId, input }) => (card, now) =>
      updateContact(card, 'address', addressId, input, now),
    ),
    removeAddress: cardMutation(z.object({ owner: ownerSchema, addressId: itemIdSchema }), ({ addressId }) => (card, now) => removeContact(card, 'address', addressId, now)),
    addPhone: cardMutation(z.object({ owner: ownerSchema, input: newPhoneSchema }), ({ input: { isDefault, ...fields } }) => (card, now) =>
      addContact(card, 'phone', fields, isDefault, stamp(now)),
    ),
    updatePhone: cardMutation(z.object({ owner: ownerSchema, phoneId: itemIdSchema, input: phonePatchSchema }), ({ phoneId, input }) => (card, now) =>
      updateContact(card, 'phone', phoneId, input, now),
    ),
    removePhone: cardMutation(z.object({ owner: ownerSchema, phoneId: itemIdSchema }), ({ phoneId }) => (card, now) => removeContact(card, 'phone', phoneId, now)),
    addEmail: cardMutation(z.object({ owner: ownerSchema, input: newEmailSchema }), ({ input: { isDefault, ...fields } }) => (card, now) =>
      addContact(card, 'email', fields, isDefault, stamp(now)),
    ),
    updateEmail: cardMutation(z.object({ owner: ownerSchema, emailId: itemIdSchema, input: emailPatchSchema }), ({ emailId, input }) => (card, now) =>
      updateContact(card, 'email', emailId, input, now),
    ),
    removeEmail: cardMutation(z.object({ owner: ownerSchema, emailId: itemIdSchema }), ({ emailId }) => (card, now) => removeContact(card, 'email', emailId, now)),
  },
  User: {
    __resolveReference: (reference: EntityRef): EntityRef => ({ id: reference.id }),
    addresses: async (user: EntityRef, _args, context: ContactContext) => {
      authorizeUserContactsRead(context.principal, user.id);
      return cardView(await context.cardByOwnerKey.load(ownerKey({ type: 'user', id: user.id }))).addresses;
    },
    phones: async (user: EntityRef, _args, context: ContactContext) => {
      authorizeUserContactsRead(context.principal, user.id);
      return cardView(await context.cardByOwnerKey.load(ownerKey({ type: 'user', id: user.id }))).phones;
    },
  },
  Store: {
    __resolveReference: (reference: EntityRef): EntityRef => ({ id: reference.id }),
    contact: async (store: EntityRef, _args, context: ContactContext): Promise<CardView> => cardView(await context.cardByOwnerKey.load(ownerKey({ type: 'store', id: store.id }))),
  },
};
