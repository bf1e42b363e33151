import { randomUUID } from 'node:crypto';
import { Schema, type ClientSession, type Connection, type Model } from 'mongoose';
import { envelopeSchema, type EventEnvelope } from './envelope';
import type { OutboxStore, PendingEvent, PublishOutcome } from './outbox';

export interface OutboxRecord {
  eventId: string;
  type: string;
  /** The whole envelope as JSON, exactly what is published. */
  payload: string;
  createdAt: Date;
  sentAt: Date | null;
  attempts: number;
  lastError: string | null;
  /** The relay batch that holds the event while it publishes it, and until when. */
  claimedBy: string | null;
  claimedUntil: Date | null;
}

const outboxSchema = new Schema<OutboxRecord>(
  {
    eventId: { type: String, required: true },
    type: { type: String, required: true },
    payload: { type: String, required: true },
    createdAt: { type: Date, required: true },
    sentAt: { type: Date, default: null },
    attempts: { type: Number, required: true, default: 0 },
    lastError: { type: String, default: null },
    claimedBy: { type: String, default: null },
    claimedUntil: { type: Date, default: null },
  },
  { collection: 'outbox', versionKey: false },
);
outboxSchema.index({ eventId: 1 }, { unique: true, name: 'outbox_event_id' });
// Unsent events in insertion order: `_id` is an ObjectId, increasing within a process.
outboxSchema.index({ sentAt: 1, _id: 1 }, { name: 'outbox_unsent' });

/** The `outbox` collection's model on this connection (one per connection, created on first use). */
export function outboxModel(connection: Connection): Model<OutboxRecord> {
  return connection.model<OutboxRecord>('OutboxEvent', outboxSchema);
}

export interface MongoOutboxOptions {
  /**
   * How long a relay batch holds its events. MongoDB has no `SKIP LOCKED`: a batch claims its events
   * with a lease, and one whose relay died is taken over when the lease ends. Keep it well above the
   * broker's publish timeout, or a slow batch can be taken over and published twice (consumers'
   * inboxes absorb that, but it is waste). Default 60 s.
   */
  leaseMs?: number;
}

/**
 * The transactional outbox of a MongoDB service: `enqueue` writes the event in the caller's session,
 * so it commits exactly when the state change does; `OutboxRelay` publishes it through this store.
 * Call `init()` once at start: MongoDB does not build indexes inside transactions.
 */
export class MongoOutbox implements OutboxStore {
  private readonly model: Model<OutboxRecord>;
  private readonly leaseMs: number;

  constructor(connection: Connection, options: MongoOutboxOptions = {}) {
    this.model = outboxModel(connection);
    this.leaseMs = options.leaseMs ?? 60_000;
  }

  async init(): Promise<void> {
    await this.model.init();
  }

  async enqueue(session: ClientSession, event: EventEnvelope): Promise<void> {
    const envelope = envelopeSchema.parse(event);
    await this.model.create(
      [{ eventId: envelope.id, type: envelope.type, payload: JSON.stringify(envelope), createdAt: new Date(), sentAt: null, attempts: 0, lastError: null }],
      { session },
    );
  }

  async relayBatch(limit: number, publish: (events: PendingEvent[]) => Promise<PublishOutcome>): Promise<PublishOutcome> {
    const claim = randomUUID();
    const now = new Date();
    const claimable = { sentAt: null, $or: [{ claimedUntil: null }, { claimedUntil: { $lt: now } }] };
    const candidates = await this.model.find(claimable, { _id: 1 }).sort({ _id: 1 }).limit(limit).lean();
    if (candidates.length === 0) return { sent: [], failed: [] };
    const ids = candidates.map((candidate) => candidate._id);
    // Each document is updated atomically, so of two relays racing for one event only one matches.
    await this.model.updateMany({ _id: { $in: ids }, ...claimable }, { $set: { claimedBy: claim, claimedUntil: new Date(now.getTime() + this.leaseMs) } });
    const claimed = await this.model.find({ _id: { $in: ids }, claimedBy: claim }, { eventId: 1, payload: 1 }).sort({ _id: 1 }).lean();
    if (claimed.length === 0) return { sent: [], failed: [] };

    const outcome = await publish(claimed.map((record) => ({ id: record.eventId, payload: record.payload })));
    const release = { claimedBy: null, claimedUntil: null };
    if (outcome.sent.length > 0) {
      // Recorded even if the lease ran out meanwhile: the broker confirmed these, so no one should publish them again.
      await this.model.updateMany({ eventId: { $in: outcome.sent }, sentAt: null }, { $set: { sentAt: new Date(), ...release } });
    }
    if (outcome.failed.length > 0) {
      await this.model.bulkWrite(
        outcome.failed.map((failure) => ({
          updateOne: { filter: { eventId: failure.id, claimedBy: claim }, update: { $set: { lastError: failure.error, ...release }, $inc: { attempts: 1 } } },
        })),
      );
    }
    return outcome;
  }

  async backlog(): Promise<{ count: number; oldestAgeSeconds: number }> {
    const [count, oldest] = await Promise.all([
      this.model.countDocuments({ sentAt: null }),
      this.model.findOne({ sentAt: null }, { createdAt: 1 }).sort({ _id: 1 }).lean(),
    ]);
    return { count, oldestAgeSeconds: oldest ? Math.max(0, (Date.now() - oldest.createdAt.getTime()) / 1000) : 0 };
  }
}
