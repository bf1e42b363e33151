import path from 'node:path';
import { applyMigrations, createLogger, liveServices, migrateService, parseMysqlUrl } from '@x/kit';
import { repoRoot } from './platform';

/**
 * `node scripts/dist/migrate.js <service>`: applies a service's migrations as MIGRATION_DATABASE_URL's
 * user (the DDL user) and grants DATABASE_URL's user (the data user the service runs as) its tables,
 * as `npm start` does; with DATABASE_URL alone, migrates as that user. Container images run it before the service; where Prisma's schema engine exists,
 * `prisma migrate deploy` reads the same folder and the same `_prisma_migrations` table.
 */
async function main(): Promise<void> {
  const name = process.argv[2];
  const service = liveServices().find((s) => s.name === name && s.backing.includes('mysql'));
  const url = process.env.MIGRATION_DATABASE_URL || process.env.DATABASE_URL;
  if (!service || !url) {
    process.stderr.write(`usage: MIGRATION_DATABASE_URL=mysql://… (or DATABASE_URL) node scripts/dist/migrate.js <${liveServices().filter((s) => s.backing.includes('mysql')).map((s) => s.name).join('|')}>\n`);
    process.exit(2);
  }
  const log = createLogger(`migrate:${service.name}`);
  const dir = path.join(repoRoot, 'prisma', service.name, 'migrations');
  const dataUrl = process.env.DATABASE_URL;
  const applied =
    process.env.MIGRATION_DATABASE_URL && dataUrl
      ? await migrateService({ migrationsUrl: url, dir, dataUser: parseMysqlUrl(dataUrl).user, appendOnlyTables: service.appendOnlyTables, log })
      : await applyMigrations({ url, dir, log });
  log.info({ applied }, applied.length ? 'migrations applied' : 'database up to date');
}

main().catch((error: unknown) => {
  process.stderr.write(`migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
