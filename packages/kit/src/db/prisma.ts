import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { parseMysqlUrl } from './mysql-url';

/**
 * Prisma's MariaDB driver adapter for a `mysql://` URL; the client is generated per service. The pool
 * grows on demand up to `connectionLimit` and shrinks when idle: a pool that opened every connection at
 * start would hold ten per process, and nine services with a few replicas exhaust MySQL's default 151.
 */
export function mariadbAdapter(url: string, connectionLimit = 10): PrismaMariaDb {
  const options = parseMysqlUrl(url);
  return new PrismaMariaDb({
    host: options.host,
    port: options.port,
    user: options.user,
    password: options.password,
    database: options.database,
    connectionLimit,
    minimumIdle: 1,
    idleTimeout: 60,
    // Keeps DATETIME values in UTC whatever the server's zone is.
    timezone: 'Z',
    // Every transaction locks only the rows it reads for update (explicit FOR UPDATE, conditional
    // UPDATEs, unique keys: the guarantees the services rely on). Under InnoDB's default REPEATABLE READ
    // an index range scan also locks the gap after it, so an update of one order's lines held up the
    // insert of another order's.
    initSql: 'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED',
  });
}
