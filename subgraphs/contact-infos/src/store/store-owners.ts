import { Schema, type ClientSession, type Connection, type Model } from 'mongoose';
import type { StoreOwnership } from '../domain/access';
import { supersedes } from '@x/kit';

interface StoreOwnerDocument {
  /** The store id. */
  _id: string;
  ownerId: string;
  /** The revision of the snapshot applied last; null when its producer sent none. */
  revision: number | null;
  /** The time of the event applied last, the ordering of last resort when events carry no revision. */
  snapshotAt: Date;
  updatedAt: Date;
}

const storeOwnerSchema = new Schema<StoreOwnerDocument>(
  {
    _id: { type: String, required: true },
    ownerId: { type: String, required: true },
    revision: { type: Number, default: null },
    // Documents from before it was kept read as the epoch: the next store event replaces them.
    snapshotAt: { type: Date, default: () => new Date(0) },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'store_owners', versionKey: false },
);

/** contact-infos' projection of store events: who owns which store, to authorize changes to its contact. */
export class StoreOwners {
  private readonly model: Model<StoreOwnerDocument>;

  constructor(connection: Connection) {
    this.model = connection.model<StoreOwnerDocument>('StoreOwner', storeOwnerSchema);
  }

  async init(): Promise<void> {
    await this.model.init();
  }

  async find(storeId: string): Promise<StoreOwnership | null> {
    const found = await this.model.findById(storeId).lean<StoreOwnerDocument>();
    return found ? { storeId: found._id, ownerId: found.ownerId } : null;
  }

  /**
   * Applies a store snapshot in the consumer's transaction unless the one held supersedes it (the kit's
   * rule: revisions when both carry one, event times otherwise), so a late or replayed store event never
   * rolls ownership back.
   */
  async apply(session: ClientSession, snapshot: { storeId: string; ownerId: string; revision?: number }, eventTime: Date): Promise<void> {
    const held = await this.model.findById(snapshot.storeId).session(session).lean<StoreOwnerDocument>();
    const incoming = { revision: snapshot.revision ?? null, at: eventTime };
    if (held && !supersedes(incoming, { revision: held.revision, at: held.snapshotAt ?? new Date(0) })) return;
    await this.model.replaceOne(
      { _id: snapshot.storeId },
      { _id: snapshot.storeId, ownerId: snapshot.ownerId, revision: incoming.revision, snapshotAt: eventTime, updatedAt: new Date() },
      { upsert: true, session },
    );
  }
}
