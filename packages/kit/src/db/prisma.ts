import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { parseMysqlUrl } from './mysql-url';

/** Prisma's MariaDB driver adapter for a `mysql://` URL; the client is generated per service. */
export function mariadbAdapter(url: string, connectionLimit = 10): PrismaMariaDb {
  const options = parseMysqlUrl(url);
  return new PrismaMariaDb({
    host: options.host,
    port: options.port,
    user: options.user,
    password: options.password,
    database: options.database,
    connectionLimit,
    // Keeps DATETIME values in UTC whatever the server's zone is.
    timezone: 'Z',
  });
}
