import { Schema, type ClientSession, type Connection, type Model } from 'mongoose';
import type { StoreOwnership } from '../domain/access';
import { isNewerSnapshot } from '../domain/store-ownership';

interface StoreOwnerDocument {
  /** The store id. */
  _id: string;
  ownerId: string;
  /** The revision of the snapshot applied last; null when its producer sent none. */
  revision: number | null;
  updatedAt: Date;
}

const storeOwnerSchema = new Schema<StoreOwnerDocument>(
  {
    _id: { type: String, required: true },
    ownerId: { type: String, required: true },
    revision: { type: Number, default: null },
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

  /** Applies a store snapshot in the consumer's transaction unless the one held is newer. */
  async apply(session: ClientSession, snapshot: { storeId: string; ownerId: string; revision?: number }): Promise<void> {
    const held = await this.model.findById(snapshot.storeId).session(session).lean<StoreOwnerDocument>();
    if (held && !isNewerSnapshot(held.revision, snapshot.revision)) return;
    await this.model.replaceOne(
      { _id: snapshot.storeId },
      { _id: snapshot.storeId, ownerId: snapshot.ownerId, revision: snapshot.revision ?? null, updatedAt: new Date() },
      { upsert: true, session },
    );
  }
}
