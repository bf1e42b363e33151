import { randomBytes } from 'node:crypto';
import { applyMigrations } from './db/migrate';
import { withDatabase } from './db/mysql-url';
import { createDatabase, dropDatabase } from './db/provision';

export const testAdminUrl = process.env.TEST_MYSQL_ADMIN_URL ?? 'mysql://root@127.0.0.1:3306/mysql';

/** A throwaway database with the given migrations applied; tests get a fresh schema per file. */
export async function createTestDatabase(prefix: string, migrationsDir: string): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `t_${prefix.replace(/[^A-Za-z0-9]/g, '_')}_${randomBytes(4).toString('hex')}`;
  await createDatabase(testAdminUrl, name);
  const url = withDatabase(testAdminUrl, name);
  await applyMigrations({ url, dir: migrationsDir });
  return { url, name, drop: () => dropDatabase(testAdminUrl, name) };
}
