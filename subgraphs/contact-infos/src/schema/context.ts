import { loaderById, type GraphQLContext } from '@x/kit';
import type DataLoader from 'dataloader';
import { ownerKey, type ContactCard } from '../domain/contact-card';
import type { ContactCards } from '../store/contact-cards';
import type { StoreOwners } from '../store/store-owners';

export type CardStore = Pick<ContactCards, 'findByKeys' | 'change'>;
export type StoreOwnerLookup = Pick<StoreOwners, 'find'>;

/** What the resolvers need of the stores (the MongoDB classes in the service, in-memory ones in resolver tests). */
export interface ContactStores {
  cards: CardStore;
  storeOwners: StoreOwnerLookup;
}

export interface ContactContext extends GraphQLContext, ContactStores {
  /** Cards by owner key (`user:<id>`, `store:<id>`): every User and Store of a request in one query. */
  cardByOwnerKey: DataLoader<string, ContactCard | null>;
}

export function contactContext(stores: ContactStores) {
  return (base: GraphQLContext): ContactContext => ({
    ...base,
    ...stores,
    cardByOwnerKey: loaderById((keys) => stores.cards.findByKeys(keys), (card) => ownerKey(card.owner)),
  });
}
