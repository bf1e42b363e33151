import mongoose, { type ClientSession, type Connection } from 'mongoose';
import { StartupError } from '../errors';
import { redactMongoUrl } from './mongo-settings';

export interface MongoConnectOptions {
  url: string;
  database: string;
  /** How long to look for a server before giving up (default 5 s). */
  timeoutMs?: number;
}

/**
 * Connects and checks that the server can run transactions (a replica set member or mongos): the
 * inbox and outbox rely on them. Anything else is a StartupError whose message names the problem.
 */
export async function connectMongo(options: MongoConnectOptions): Promise<Connection> {
  const where = redactMongoUrl(options.url);
  const connection = mongoose.createConnection(options.url, {
    dbName: options.database,
    serverSelectionTimeoutMS: options.timeoutMs ?? 5_000,
    connectTimeoutMS: options.timeoutMs ?? 5_000,
  });
  try {
    await connection.asPromise();
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw new StartupError(`no MongoDB answers at ${where} (${firstLine(error)}); start one (docker compose up -d mongodb) or set MONGO_URL`, { cause: error });
  }
  try {
    const hello = await connection.getClient().db('admin').command({ hello: 1 });
    if (typeof hello.setName !== 'string' && hello.msg !== 'isdbgrid') {
      throw new StartupError(
        `MongoDB at ${where} is a standalone server, but transactions need a replica set: run mongod with --replSet rs0 and rs.initiate() once (docker-compose.yml's mongodb does both)`,
      );
    }
  } catch (error) {
    await connection.close().catch(() => undefined);
    if (error instanceof StartupError) throw error;
    throw new StartupError(`MongoDB at ${where} answered but refused the check (${firstLine(error)})`, { cause: error });
  }
  return connection;
}

/** Why no usable MongoDB is at `url`, or undefined when one is (for start scripts and tests that decide to skip). */
export async function mongoUnavailableReason(url: string, timeoutMs = 2_000): Promise<string | undefined> {
  try {
    const connection = await connectMongo({ url, database: 'admin', timeoutMs });
    await connection.close();
    return undefined;
  } catch (error) {
    return firstLine(error);
  }
}

export type MongoTransactionRunner = <R>(work: (session: ClientSession) => Promise<R>) => Promise<R>;

/**
 * Runs `work` in one MongoDB transaction (snapshot reads, majority commit). The driver retries the
 * whole of `work` on a transient error such as a write conflict, so `work` must have no effect outside
 * the session: wake relays and answer callers after it returns.
 */
export function mongoTransaction(connection: Connection): MongoTransactionRunner {
  return (work) => connection.transaction(work, { readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority' } });
}

/** E11000: an insert or upsert hit a unique index. */
export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 11000;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
