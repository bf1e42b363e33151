// Helpers for picks' integration tests: a fresh MariaDB database per file, SQL statement counting, and
// store projection rows written through the projection itself.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { connectSql, createLogger, type SqlDatabase, type StoreStatus } from '@x/kit';
import { createTestDatabase } from '@x/kit/testing';
import type { Database } from '../src/store/database';
import type { DB } from '../src/store/generated/tables';
import type { StoreDirectory } from '../src/store/stores';

export const migrationsDir = path.resolve(__dirname, '../../../prisma/picks/migrations');
export const testLog = createLogger('picks-test', process.env.TEST_LOG_LEVEL ?? 'silent');

export type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;

export function openTestDatabase(label: string): Promise<TestDatabase> {
  return createTestDatabase(`picks_${label}`, migrationsDir);
}

/** picks' database for a test file; `connectionLimit` lets races really run side by side. */
export function openSql(url: string, connectionLimit = 5): SqlDatabase<DB> {
  return connectSql<DB>(url, { connectionLimit });
}

/** A database that records every SQL statement it sends, for the tests that count them. */
export function countingDatabase(url: string): { sql: SqlDatabase<DB>; statements: string[] } {
  const statements: string[] = [];
  return { sql: connectSql<DB>(url, { connectionLimit: 5, onQuery: (statement) => statements.push(statement) }), statements };
}

/** Writes a store into picks' projection the way the store events do. */
export async function projectStore(stores: StoreDirectory, db: Database, store: { storeId?: string; ownerId: string; status: StoreStatus }): Promise<string> {
  const storeId = store.storeId ?? randomUUID();
  await db.transaction().execute((tx) => stores.apply(tx, { storeId, ownerId: store.ownerId, status: store.status }, new Date()));
  return storeId;
}

/** Retries a check until it passes or ten seconds pass (then throws its last error). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
