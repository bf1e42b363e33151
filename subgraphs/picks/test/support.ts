// Helpers for picks' integration tests: a fresh MariaDB database per file, SQL statement counting, and
// store projection rows written through the projection itself.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createLogger, mariadbAdapter, type StoreStatus } from '@x/kit';
import { createTestDatabase } from '@x/kit/testing';
import { PrismaClient } from '../src/store/generated/client';
import type { StoreDirectory } from '../src/store/stores';

export const migrationsDir = path.resolve(__dirname, '../../../prisma/picks/migrations');
export const testLog = createLogger('picks-test', process.env.TEST_LOG_LEVEL ?? 'silent');

export type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;

export function openTestDatabase(label: string): Promise<TestDatabase> {
  return createTestDatabase(`picks_${label}`, migrationsDir);
}

/** A client that records every SQL statement it sends (Prisma's query events), for the tests that count them. */
export function countingClient(url: string): { db: PrismaClient; statements: string[] } {
  const db = new PrismaClient({ adapter: mariadbAdapter(url, 5), log: [{ emit: 'event', level: 'query' }] });
  const statements: string[] = [];
  db.$on('query', (event) => statements.push(event.query));
  return { db, statements };
}

/** Writes a store into picks' projection the way the store events do. */
export async function projectStore(stores: StoreDirectory, db: PrismaClient, store: { storeId?: string; ownerId: string; status: StoreStatus }): Promise<string> {
  const storeId = store.storeId ?? randomUUID();
  await db.$transaction((tx) => stores.apply(tx, { storeId, ownerId: store.ownerId, status: store.status }, new Date()));
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
