import { Schema, type ClientSession, type Connection, type Model } from 'mongoose';
import { isDuplicateKeyError, mongoTransaction, type MongoTransactionRunner } from '../db/mongo';
import type { Inbox } from './inbox';

export interface InboxRecord {
  consumer: string;
  eventId: string;
  eventType: string;
  processedAt: Date;
}

const inboxSchema = new Schema<InboxRecord>(
  {
    consumer: { type: String, required: true },
    eventId: { type: String, required: true },
    eventType: { type: String, required: true },
    processedAt: { type: Date, required: true },
  },
  { collection: 'inbox', versionKey: false },
);
inboxSchema.index({ consumer: 1, eventId: 1 }, { unique: true, name: 'inbox_consumer_event_id' });

/** The `inbox` collection's model on this connection (one per connection, created on first use). */
export function inboxModel(connection: Connection): Model<InboxRecord> {
  return connection.model<InboxRecord>('InboxEvent', inboxSchema);
}

/** Thrown inside the transaction to abort it when the event was recorded before. */
class AlreadyHandled extends Error {}

/**
 * The inbox of a MongoDB service: a record in `inbox` (unique on consumer + eventId) inserted in the
 * same transaction as the handler's effect. The record goes first, so a second delivery fails on the
 * unique index (or, while the first is uncommitted, on a write conflict that the driver retries until
 * the first commits) and its effect never runs. Call `ensureMongoInbox` once at start: MongoDB does not
 * build indexes inside transactions.
 */
export function mongoInbox(connection: Connection, transaction: MongoTransactionRunner = mongoTransaction(connection)): Inbox<ClientSession> {
  const model = inboxModel(connection);
  return {
    async handleOnce(consumer, event, effect) {
      try {
        await transaction(async (session) => {
          try {
            await model.create([{ consumer, eventId: event.id, eventType: event.type, processedAt: new Date() }], { session });
          } catch (error) {
            if (isDuplicateKeyError(error)) throw new AlreadyHandled();
            throw error;
          }
          await effect(session);
        });
        return 'processed';
      } catch (error) {
        if (error instanceof AlreadyHandled) return 'duplicate';
        throw error;
      }
    },
  };
}

/** Creates the `inbox` collection and its unique index if they are missing. */
export async function ensureMongoInbox(connection: Connection): Promise<void> {
  await inboxModel(connection).init();
}
