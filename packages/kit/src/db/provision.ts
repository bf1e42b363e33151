import { createConnection } from 'mariadb';
import { assertIdentifier, parseMysqlUrl } from './mysql-url';

/**
 * Creates a service's database and its own user, granted that database alone. Idempotent: the
 * password is reset to the given one, so a rotated secret takes effect on the next start.
 */
export async function provisionDatabase(options: { adminUrl: string; database: string; user: string; password: string }): Promise<void> {
  const database = assertIdentifier(options.database);
  const user = assertIdentifier(options.user);
  const connection = await createConnection({ ...parseMysqlUrl(options.adminUrl), database: undefined });
  try {
    await connection.query(`CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    for (const host of ['%', 'localhost']) {
      await connection.query(`CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?`, [user, host, options.password]);
      await connection.query(`ALTER USER ?@? IDENTIFIED BY ?`, [user, host, options.password]);
      await connection.query(`GRANT ALL PRIVILEGES ON \`${database}\`.* TO ?@?`, [user, host]);
    }
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
