import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { createConnection, type Connection } from 'mariadb';
import { dropDatabase, liveServices, migrateService, mysqlUrl, provisionDatabase, type DatabaseCredentials } from '@x/kit';
import { testAdminUrl } from '@x/kit/testing';

/**
 * Each MySQL service runs as a data user that reads and writes rows and cannot change its schema; its
 * migrations run as a separate DDL user. What `npm start`, test platforms and the deployments' migrate
 * step set up, tried on every service's real migrations.
 */
const repoRoot = path.resolve(__dirname, '..');
const tag = randomBytes(3).toString('hex');
const mysqlServices = liveServices().filter((service) => service.backing.includes('mysql'));

interface Provisioned {
  database: string;
  migrations: DatabaseCredentials;
  data: DatabaseCredentials;
}
const provisioned = new Map<string, Provisioned>();

async function asUser(credentials: DatabaseCredentials, database: string): Promise<Connection> {
  return createConnection({ host: '127.0.0.1', port: 3306, user: credentials.user, password: credentials.password, database });
}

async function refusal(connection: Connection, statement: string): Promise<string> {
  try {
    await connection.query(statement);
    return 'allowed';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

beforeAll(async () => {
  for (const service of mysqlServices) {
    const database = `t_users_${tag}_${service.database}`;
    const base = `t_u${tag}_${service.name.replace(/-/g, '_')}`.slice(0, 28);
    const entry = { database, migrations: { user: `${base}_ddl`, password: randomUUID() }, data: { user: base, password: randomUUID() } };
    await provisionDatabase({ adminUrl: testAdminUrl, ...entry });
    await migrateService({
      migrationsUrl: mysqlUrl({ host: '127.0.0.1', port: 3306, ...entry.migrations, database }),
      dir: path.join(repoRoot, 'prisma', service.name, 'migrations'),
      dataUser: entry.data.user,
      appendOnlyTables: service.appendOnlyTables,
    });
    provisioned.set(service.name, entry);
  }
}, 120_000);

afterAll(async () => {
  const admin = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
  try {
    for (const { database, migrations, data } of provisioned.values()) {
      await dropDatabase(testAdminUrl, database);
      for (const user of [migrations.user, data.user]) for (const host of ['%', 'localhost']) await admin.query('DROP USER IF EXISTS ?@?', [user, host]);
    }
  } finally {
    await admin.end();
  }
});

describe.each(mysqlServices.map((service) => service.name))('%s’s data user', (name) => {
  it('reads and writes rows of its tables, and cannot create, alter or drop anything nor see the migrations table', async () => {
    const { database, data } = provisioned.get(name)!;
    const connection = await asUser(data, database);
    try {
      const id = randomUUID();
      await connection.query('INSERT INTO outbox (id, type, payload) VALUES (?, ?, ?)', [id, 'test.row.written', '{}']);
      await connection.query("UPDATE outbox SET type = 'test.row.updated' WHERE id = ?", [id]);
      await connection.query('DELETE FROM outbox WHERE id = ?', [id]);
      expect(await refusal(connection, 'CREATE TABLE intruder (id INT)')).toBe('ER_TABLEACCESS_DENIED_ERROR');
      expect(await refusal(connection, 'ALTER TABLE outbox ADD COLUMN intruder INT')).toBe('ER_TABLEACCESS_DENIED_ERROR');
      expect(await refusal(connection, 'DROP TABLE outbox')).toBe('ER_TABLEACCESS_DENIED_ERROR');
      expect(await refusal(connection, 'CREATE INDEX intruder ON outbox (type)')).toBe('ER_TABLEACCESS_DENIED_ERROR');
      expect(await refusal(connection, 'SELECT * FROM _prisma_migrations')).toBe('ER_TABLEACCESS_DENIED_ERROR');
      expect(await refusal(connection, 'DELETE FROM _prisma_migrations')).toBe('ER_TABLEACCESS_DENIED_ERROR');
    } finally {
      await connection.end();
    }
  });
});

describe('headquarter’s audit trail', () => {
  it('takes inserts and reads from the service, and no update, delete or trigger change, by privilege and not only by its triggers', async () => {
    const { database, data, migrations } = provisioned.get('headquarter')!;
    const connection = await asUser(data, database);
    try {
      expect(await refusal(connection, 'SELECT COUNT(*) FROM audit_events')).toBe('allowed');
      expect(await refusal(connection, "UPDATE audit_events SET type = 'forged'")).toBe('ER_TABLEACCESS_DENIED_ERROR');
      expect(await refusal(connection, 'DELETE FROM audit_events')).toBe('ER_TABLEACCESS_DENIED_ERROR');
      expect(await refusal(connection, 'DROP TRIGGER audit_events_no_delete')).toMatch(/^ER_(TABLEACCESS_DENIED_ERROR|SPECIFIC_ACCESS_DENIED_ERROR|DBACCESS_DENIED_ERROR|TRG_DOES_NOT_EXIST)$/);
      expect(await refusal(connection, 'TRUNCATE TABLE audit_events')).toBe('ER_TABLEACCESS_DENIED_ERROR');
    } finally {
      await connection.end();
    }
    // The triggers are still there, owned by the DDL user.
    const owner = await asUser(migrations, database);
    try {
      const triggers = await owner.query<{ name: string }[]>('SELECT trigger_name AS name FROM information_schema.triggers WHERE trigger_schema = ? ORDER BY trigger_name', [database]);
      expect(triggers.map((trigger) => trigger.name)).toEqual(['audit_events_no_delete', 'audit_events_no_update']);
    } finally {
      await owner.end();
    }
  });
});

describe('an installation from before the split', () => {
  it('takes back the database-wide privileges its data user had once provisioned again', async () => {
    const { database, data, migrations } = provisioned.get('user')!;
    const admin = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
    try {
      await admin.query(`GRANT ALL PRIVILEGES ON \`${database}\`.* TO ?@'%'`, [data.user]);
    } finally {
      await admin.end();
    }
    await provisionDatabase({ adminUrl: testAdminUrl, database, migrations, data });
    const connection = await asUser(data, database);
    try {
      expect(await refusal(connection, 'DROP TABLE outbox')).toBe('ER_TABLEACCESS_DENIED_ERROR');
    } finally {
      await connection.end();
    }
  });
});
