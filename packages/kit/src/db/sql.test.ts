import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../test/generated/tables';
import { migrationsDir } from '../../test/support';
import { isDependencyUnavailable } from '../events/dependency-failures';
import { createTestDatabase } from '../testing';
import { connectionTimeoutCode, connectSql, isUniqueViolation, type SqlDatabase } from './sql';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let sqlDb: SqlDatabase<DB>;

beforeAll(async () => {
  database = await createTestDatabase('kit_sql', migrationsDir);
  sqlDb = connectSql<DB>(database.url);
});

afterAll(async () => {
  await sqlDb.close();
  await database.drop();
});

const enqueue = (db: Kysely<DB>) => db.insertInto('outbox').values({ id: randomUUID(), type: 'kit.test.enqueued', payload: '{}' }).execute();

describe('connectSql', () => {
  it('runs every pooled connection at READ COMMITTED', async () => {
    // Several at once, so the pool opens more than its one idle connection.
    const levels = await Promise.all(
      Array.from({ length: 4 }, () =>
        sqlDb.db.transaction().execute(async (tx) => (await sql<{ level: string }>`SELECT @@tx_isolation AS level`.execute(tx)).rows[0]!.level),
      ),
    );
    expect(levels).toEqual(['READ-COMMITTED', 'READ-COMMITTED', 'READ-COMMITTED', 'READ-COMMITTED']);
  });

  it('lets a transaction insert beside an index range another transaction is updating (no gap lock)', async () => {
    await enqueue(sqlDb.db);
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let updated: () => void = () => {};
    const updating = new Promise<void>((resolve) => (updated = resolve));
    const holder = sqlDb.db.transaction().execute(async (tx) => {
      await sql`UPDATE outbox SET attempts = attempts + 1 WHERE sent_at IS NULL`.execute(tx);
      updated();
      await held;
    });
    await updating;
    try {
      // Under REPEATABLE READ this insert waits for the holder; a 1 s lock wait turns that into a failure.
      await sqlDb.db.transaction().execute(async (tx) => {
        await sql`SET SESSION innodb_lock_wait_timeout = 1`.execute(tx);
        await enqueue(tx);
      });
    } finally {
      release();
      await holder;
    }
    expect(Number((await sqlDb.db.selectFrom('outbox').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)).toBe(2);
  });

  it('reads DATETIME(3) as UTC dates and keeps their milliseconds', async () => {
    const id = randomUUID();
    const sentAt = new Date('2026-03-29T01:30:00.123Z');
    await sqlDb.db.insertInto('outbox').values({ id, type: 'kit.test.dated', payload: '{}', sentAt }).execute();
    const row = await sqlDb.db.selectFrom('outbox').select(['sentAt', 'attempts']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toEqual({ sentAt, attempts: 0 });
  });

  it('tells a duplicate key from other failures', async () => {
    const id = randomUUID();
    await sqlDb.db.insertInto('outbox').values({ id, type: 'kit.test.once', payload: '{}' }).execute();
    const duplicate = await sqlDb.db.insertInto('outbox').values({ id, type: 'kit.test.once', payload: '{}' }).execute().catch((error: unknown) => error);
    expect(isUniqueViolation(duplicate)).toBe(true);
    const other = await sql`SELECT * FROM no_such_table`.execute(sqlDb.db).catch((error: unknown) => error);
    expect(isUniqueViolation(other)).toBe(false);
  });

  it('fails a query as unavailable when no connection frees up in time, and serves again afterwards', async () => {
    const small = connectSql<DB>(database.url, { connectionLimit: 1, acquireTimeoutMs: 200 });
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const holder = small.db.transaction().execute(async (tx) => {
      await sql`SELECT 1`.execute(tx);
      await held;
    });
    try {
      const waited = await sql`SELECT 1`.execute(small.db).catch((error: unknown) => error);
      expect(waited).toMatchObject({ code: connectionTimeoutCode });
      expect(isDependencyUnavailable(waited)).toBe(true);
    } finally {
      release();
      await holder;
    }
    expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(small.db)).rows).toEqual([{ one: 1 }]);
    await small.close();
  });
});
