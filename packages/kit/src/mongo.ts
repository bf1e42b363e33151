/**
 * What a MongoDB service needs besides the rest of the kit: the connection, its transactions, and the
 * inbox and outbox on collections. A separate entry (`@x/kit/mongo`) because mongoose and its BSON
 * buffers cost every process that loads them about 20 MiB of memory, and only contact-infos uses them.
 */
export * from './db/mongo';
export { ensureMongoInbox, mongoInbox } from './events/mongo-inbox';
export { MongoOutbox, type MongoOutboxOptions } from './events/mongo-outbox';
