import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createConnection, type Connection } from 'mariadb';
import type { Logger } from '../logger';
import { parseMysqlUrl } from './mysql-url';

/**
 * Applies Prisma-format SQL migrations (`<dir>/<timestamp>_<name>/migration.sql`) in order and records
 * them in Prisma's own `_prisma_migrations` table with the same checksum (sha256 hex of the file), so
 * `prisma migrate deploy` can take over wherever the schema engine is available. Prisma's engine
 * cannot be downloaded here, and with a dummy engine `migrate deploy` exits 0 having done nothing.
 */
export async function applyMigrations(options: { url: string; dir: string; log?: Logger }): Promise<string[]> {
  const migrations = await readMigrations(options.dir);
  const connection = await createConnection({ ...parseMysqlUrl(options.url), multipleStatements: true });
  const lockName = `x_migrate_${parseMysqlUrl(options.url).database}`;
  try {
    // Two processes migrating the same database at once would apply a step twice.
    const [lock] = await connection.query<{ acquired: number | bigint }[]>('SELECT GET_LOCK(?, 60) AS acquired', [lockName]);
    if (Number(lock?.acquired) !== 1) throw new Error(`could not take the migration lock ${lockName}`);
    await connection.query(migrationsTableDdl);
    const applied = new Map(
      (await connection.query<AppliedRow[]>('SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations')).map(
        (row) => [row.migration_name, row],
      ),
    );
    const newlyApplied: string[] = [];
    for (const migration of migrations) {
      const previous = applied.get(migration.name);
      if (previous && !previous.rolled_back_at) {
        if (!previous.finished_at) {
          throw new Error(`migration ${migration.name} failed earlier and was left unfinished; fix the database and resolve it before migrating again`);
        }
        if (previous.checksum !== migration.checksum) {
          throw new Error(`migration ${migration.name} was edited after it was applied (checksum differs); add a new migration instead`);
        }
        continue;
      }
      await applyOne(connection, migration);
      options.log?.info({ migration: migration.name }, 'migration applied');
      newlyApplied.push(migration.name);
    }
    return newlyApplied;
  } finally {
    await connection.query('SELECT RELEASE_LOCK(?)', [lockName]).catch(() => undefined);
    await connection.end();
  }
}

interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

export async function readMigrations(dir: string): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

async function applyOne(connection: Connection, migration: Migration): Promise<void> {
  const id = randomUUID();
  await connection.query('INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at) VALUES (?, ?, ?, NOW(3))', [
    id,
    migration.checksum,
    migration.name,
  ]);
  try {
    await connection.query(migration.sql);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await connection.query('UPDATE _prisma_migrations SET logs = ? WHERE id = ?', [message, id]);
    throw new Error(`migration ${migration.name} failed: ${message}`);
  }
  await connection.query('UPDATE _prisma_migrations SET finished_at = NOW(3), applied_steps_count = 1 WHERE id = ?', [id]);
}

// The table exactly as Prisma creates it for MySQL.
const migrationsTableDdl = `CREATE TABLE IF NOT EXISTS _prisma_migrations (
  id VARCHAR(36) PRIMARY KEY NOT NULL,
  checksum VARCHAR(64) NOT NULL,
  finished_at DATETIME(3),
  migration_name VARCHAR(255) NOT NULL,
  logs TEXT,
  rolled_back_at DATETIME(3),
  started_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  applied_steps_count INTEGER UNSIGNED NOT NULL DEFAULT 0
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`;
