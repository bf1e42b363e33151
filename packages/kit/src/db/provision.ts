import { createConnection, type Connection } from 'mariadb';
import type { Logger } from '../logger';
import { applyMigrations } from './migrate';
import { assertIdentifier, parseMysqlUrl } from './mysql-url';

/** A database user and its password. */
export interface DatabaseCredentials {
  user: string;
  password: string;
}

const hosts = ['%', 'localhost'] as const;

/**
 * Creates a service's database and its two users, granted that database alone: the migrations user
 * owns the schema (every privilege, and the right to grant data access), the data user the service runs
 * as gets nothing here; grantDataAccess gives it rows to read and write once the tables exist. A data
 * user from before this split loses its database-wide privileges. Idempotent: passwords are reset to
 * the given ones, so a rotated secret takes effect on the next start.
 */
export async function provisionDatabase(options: { adminUrl: string; database: string; migrations: DatabaseCredentials; data: DatabaseCredentials }): Promise<void> {
  const database = assertIdentifier(options.database);
  await createDatabase(options.adminUrl, database);
  const connection = await createConnection({ ...parseMysqlUrl(options.adminUrl), database: undefined });
  try {
    for (const host of hosts) {
      for (const { user, password } of [options.migrations, options.data]) {
        await connection.query(`CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?`, [assertIdentifier(user), host, password]);
        await connection.query(`ALTER USER ?@? IDENTIFIED BY ?`, [user, host, password]);
      }
      await connection.query(`GRANT ALL PRIVILEGES ON \`${database}\`.* TO ?@? WITH GRANT OPTION`, [options.migrations.user, host]);
      await revokeIfGranted(connection, `REVOKE ALL PRIVILEGES ON \`${database}\`.* FROM ?@?`, [options.data.user, host]);
    }
  } finally {
    await connection.end();
  }
}

/**
 * Gives the data user rows to read and write in every table of the database (run as the migrations
 * user, after each migration: a new table needs its grant), and only SELECT and INSERT in the
 * append-only ones (headquarter's audit trail). No CREATE, ALTER, DROP, INDEX or TRIGGER: the running
 * service cannot change its schema, drop the trail's triggers, or touch the migrations table.
 */
export async function grantDataAccess(options: { url: string; database: string; dataUser: string; appendOnlyTables?: readonly string[] }): Promise<void> {
  const database = assertIdentifier(options.database);
  const user = assertIdentifier(options.dataUser);
  const appendOnly = new Set(options.appendOnlyTables ?? []);
  const connection = await createConnection({ ...parseMysqlUrl(options.url), database });
  try {
    const tables = await connection.query<{ name: string }[]>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations'",
      [database],
    );
    // Deployments create the data user for '%' only, npm start for '%' and 'localhost'; a host it does
    // not exist for is skipped (ER_PASSWORD_NO_MATCH), and the first table's grants find out which.
    let userHosts: readonly string[] = hosts;
    for (const { name } of tables) {
      const table = `\`${database}\`.\`${assertIdentifier(name)}\``;
      const granted: string[] = [];
      for (const host of userHosts) {
        try {
          if (appendOnly.has(name)) {
            await revokeIfGranted(connection, `REVOKE UPDATE, DELETE ON ${table} FROM ?@?`, [user, host]);
            await connection.query(`GRANT SELECT, INSERT ON ${table} TO ?@?`, [user, host]);
          } else {
            await connection.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${table} TO ?@?`, [user, host]);
          }
          granted.push(host);
        } catch (error) {
          if ((error as { errno?: number }).errno !== 1133) throw error;
        }
      }
      if (granted.length === 0) throw new Error(`no database user ${user} to grant ${database}'s tables to`);
      userHosts = granted;
    }
  } finally {
    await connection.end();
  }
}

/**
 * A service's migrations applied as its migrations user, then its data user granted the tables as they
 * now are: what `npm start`, test platforms and the deployments' migrate step all run. Resolves with the
 * migrations applied.
 */
export async function migrateService(options: {
  migrationsUrl: string;
  dir: string;
  dataUser: string;
  appendOnlyTables?: readonly string[];
  log?: Logger;
}): Promise<string[]> {
  const applied = await applyMigrations({ url: options.migrationsUrl, dir: options.dir, log: options.log });
  const { database } = parseMysqlUrl(options.migrationsUrl);
  await grantDataAccess({ url: options.migrationsUrl, database, dataUser: options.dataUser, appendOnlyTables: options.appendOnlyTables });
  return applied;
}

/** A REVOKE of privileges the user does not hold fails (ER_NONEXISTING_GRANT, ER_NONEXISTING_TABLE_GRANT): nothing to take away. */
async function revokeIfGranted(connection: Connection, statement: string, values: unknown[]): Promise<void> {
  try {
    await connection.query(statement, values);
  } catch (error) {
    const errno = (error as { errno?: number }).errno;
    if (errno !== 1141 && errno !== 1147) throw error;
  }
}

/** The database alone, for tests that reach it as the admin user. */
export async function createDatabase(adminUrl: string, database: string): Promise<void> {
  const connection = await createConnection({ ...parseMysqlUrl(adminUrl), database: undefined });
  try {
    await connection.query(`CREATE DATABASE IF NOT EXISTS \`${assertIdentifier(database)}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await connection.end();
  }
}

export async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  const connection = await createConnection({ ...parseMysqlUrl(adminUrl), database: undefined });
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${assertIdentifier(database)}\``);
  } finally {
    await connection.end();
  }
}
