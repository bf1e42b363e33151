import { randomUUID } from 'node:crypto';
import { PrismaClient } from '../../test/generated/client';
import { migrationsDir } from '../../test/support';
import { createTestDatabase } from '../testing';
import { mariadbAdapter } from './prisma';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let prisma: PrismaClient;

beforeAll(async () => {
  database = await createTestDatabase('kit_prisma', migrationsDir);
  prisma = new PrismaClient({ adapter: mariadbAdapter(database.url) });
});

afterAll(async () => {
  await prisma.$disconnect();
  await database.drop();
});

const enqueue = (tx: Pick<PrismaClient, '$executeRawUnsafe'>) => {
  const id = randomUUID();
  return tx.$executeRawUnsafe('INSERT INTO outbox (id, type, payload) VALUES (?, ?, ?)', id, 'kit.test.enqueued', '{}');
};

describe('mariadbAdapter', () => {
  it('runs every pooled connection at READ COMMITTED', async () => {
    // Several at once, so the pool opens more than its one idle connection.
    const levels = await Promise.all(
      Array.from({ length: 4 }, () => prisma.$transaction(async (tx) => (await tx.$queryRawUnsafe<{ level: string }[]>('SELECT @@tx_isolation AS level'))[0]!.level)),
    );
    expect(levels).toEqual(['READ-COMMITTED', 'READ-COMMITTED', 'READ-COMMITTED', 'READ-COMMITTED']);
  });

  it('lets a transaction insert beside an index range another transaction is updating (no gap lock)', async () => {
    await enqueue(prisma);
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let updated: () => void = () => {};
    const updating = new Promise<void>((resolve) => (updated = resolve));
    const holder = prisma.$transaction(
      async (tx) => {
        await tx.$executeRawUnsafe('UPDATE outbox SET attempts = attempts + 1 WHERE sent_at IS NULL');
        updated();
        await held;
      },
      { timeout: 20_000 },
    );
    await updating;
    try {
      // Under REPEATABLE READ this insert waits for the holder; a 1 s lock wait turns that into a failure.
      await prisma.$transaction(async (tx) => {
        await tx.$executeRawUnsafe('SET SESSION innodb_lock_wait_timeout = 1');
        await enqueue(tx);
      });
    } finally {
      release();
      await holder;
    }
    expect(await prisma.outboxEvent.count()).toBe(2);
  });
});
