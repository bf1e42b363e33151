import { buildEvent, ContactAddressChanged, ContactCardErased, ContactEmailChanged, ContactPhoneChanged } from '@x/kit';
import { isDuplicateKeyError, mongoTransaction, type MongoOutbox, type MongoTransactionRunner } from '@x/kit/mongo';
import { Schema, type ClientSession, type Connection, type Model } from 'mongoose';
import {
  emptyCard,
  isEmptyCard,
  ownerKey,
  type Address,
  type CardEdit,
  type ContactCard,
  type ContactKind,
  type Email,
  type Owner,
  type OwnerType,
  type Phone,
} from '../domain/contact-card';

/** One document per owner, `_id` = `<type>:<id>`: a card changes atomically, defaults included. */
export interface CardDocument {
  _id: string;
  ownerType: OwnerType;
  ownerId: string;
  addresses: Address[];
  phones: Phone[];
  emails: Email[];
  updatedAt: Date;
}

const entryFields = {
  id: { type: String, required: true },
  label: { type: String, required: true },
  isDefault: { type: Boolean, required: true },
  createdAt: { type: Date, required: true },
  updatedAt: { type: Date, required: true },
};

const geoPointSchema = new Schema({ lat: { type: Number, required: true }, lng: { type: Number, required: true } }, { _id: false });

const cardSchema = new Schema<CardDocument>(
  {
    _id: { type: String, required: true },
    ownerType: { type: String, enum: ['user', 'store'], required: true },
    ownerId: { type: String, required: true },
    addresses: [
      new Schema<Address>(
        {
          ...entryFields,
          lines: { type: [String], required: true },
          city: { type: String, required: true },
          postalCode: { type: String, required: true },
          country: { type: String, required: true },
          location: { type: geoPointSchema, default: null },
        },
        { _id: false },
      ),
    ],
    phones: [new Schema<Phone>({ ...entryFields, number: { type: String, required: true } }, { _id: false })],
    emails: [new Schema<Email>({ ...entryFields, address: { type: String, required: true } }, { _id: false })],
    updatedAt: { type: Date, required: true },
  },
  { collection: 'contact_cards', versionKey: false },
);

export function cardModel(connection: Connection): Model<CardDocument> {
  return connection.model<CardDocument>('ContactCard', cardSchema);
}

export function toCard(document: CardDocument): ContactCard {
  return {
    owner: { type: document.ownerType, id: document.ownerId },
    lists: { address: document.addresses, phone: document.phones, email: document.emails },
  };
}

export function toDocument(card: ContactCard, now: Date): CardDocument {
  return {
    _id: ownerKey(card.owner),
    ownerType: card.owner.type,
    ownerId: card.owner.id,
    addresses: card.lists.address,
    phones: card.lists.phone,
    emails: card.lists.email,
    updatedAt: now,
  };
}

const changedEvent = { address: ContactAddressChanged, phone: ContactPhoneChanged, email: ContactEmailChanged } satisfies Record<ContactKind, unknown>;

/**
 * Contact cards in MongoDB. A change reads the card, applies a domain edit and writes the card and
 * its event (outbox) in one transaction; a concurrent change to the same card is a write conflict the
 * driver retries on fresh data, so the one-default rule holds under races.
 */
export class ContactCards {
  private readonly model: Model<CardDocument>;
  private readonly transaction: MongoTransactionRunner;

  constructor(
    connection: Connection,
    private readonly outbox: Pick<MongoOutbox, 'enqueue'>,
    private readonly relay: { wake(): void },
  ) {
    this.model = cardModel(connection);
    this.transaction = mongoTransaction(connection);
  }

  /** Creates the collection (MongoDB does not create collections inside transactions on every version). */
  async init(): Promise<void> {
    await this.model.init();
  }

  /** The cards of these owners, in one query; owners without a card are absent. */
  async findByKeys(keys: readonly string[]): Promise<ContactCard[]> {
    const documents = await this.model.find({ _id: { $in: [...keys] } }).lean<CardDocument[]>();
    return documents.map(toCard);
  }

  /** Applies `edit` to the owner's card (an empty one if it has none) and publishes what changed. */
  async change(owner: Owner, edit: (card: ContactCard, now: Date) => CardEdit): Promise<ContactCard> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const card = await this.transaction((session) => this.applyEdit(session, owner, edit));
        this.relay.wake();
        return card;
      } catch (error) {
        // Two first changes of one owner can both find no card; the loser's insert meets the winner's
        // card (a duplicate _id rather than a write conflict): run the edit again, on that card.
        if (attempt < 3 && isDuplicateKeyError(error)) continue;
        throw error;
      }
    }
  }

  private async applyEdit(session: ClientSession, owner: Owner, edit: (card: ContactCard, now: Date) => CardEdit): Promise<ContactCard> {
    const now = new Date();
    const key = ownerKey(owner);
    const found = await this.model.findById(key).session(session).lean<CardDocument>();
    const { card, change } = edit(found ? toCard(found) : emptyCard(owner), now);
    // An empty card is no card: nothing is kept about an owner who removed everything.
    if (isEmptyCard(card)) await this.model.deleteOne({ _id: key }, { session });
    else await this.model.replaceOne({ _id: key }, toDocument(card, now), { upsert: true, session });
    const data = { owner, itemId: change.itemId, change: change.change, defaultItemId: change.defaultId };
    await this.outbox.enqueue(session, buildEvent(changedEvent[change.kind], owner.id, data));
    return card;
  }

  /** Erases a user's card in the consumer's transaction (account deleted); nothing happens when there is none. */
  async eraseUser(session: ClientSession, userId: string): Promise<void> {
    const owner: Owner = { type: 'user', id: userId };
    const found = await this.model.findOneAndDelete({ _id: ownerKey(owner) }, { session }).lean<CardDocument>();
    if (!found) return;
    const counts = { addresses: found.addresses.length, phones: found.phones.length, emails: found.emails.length };
    await this.outbox.enqueue(session, buildEvent(ContactCardErased, userId, { owner, ...counts }));
  }
}
