import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AuthUserRegistered, buildEvent, connectBroker, createLogger, on, PermanentEventError, startConsumer, type Broker, type Consumer, type Inbox } from '@x/kit';
import amqp from 'amqplib';
import { createConnection } from 'mariadb';
import { renderOverlay, repoRoot, xRunScript, type KubernetesObject } from './support/kubernetes';

/**
 * The access rules of the manifests, tried on the real MariaDB and RabbitMQ of this machine: the dev
 * overlay's MySQL init script and the Dockerfile's x-run (migrations as the DDL user, the service as a
 * data user that cannot change the schema), and the broker permissions each service's User gets.
 */

const { objects } = renderOverlay('dev');
const suffix = randomBytes(4).toString('hex');
const log = createLogger('kubernetes-access-test', process.env.TEST_LOG_LEVEL ?? 'silent');
const workDir = mkdtempSync(path.join(tmpdir(), 'x-k8s-access-'));

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function configMapFile(name: string, key: string): string {
  const map = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name) as (KubernetesObject & { data: Record<string, string> }) | undefined;
  const text = map?.data[key];
  if (!text) throw new Error(`the dev overlay has no ConfigMap ${name} with ${key}`);
  return text;
}

function run(command: string, args: string[], env: Record<string, string>): { status: number | null; output: string } {
  const result = spawnSync(command, args, { cwd: repoRoot, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, timeout: 60_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('a MySQL service’s two database users (dev overlay’s init script, the image’s x-run)', () => {
  const database = `x_k8s_${suffix}`;
  const ddl = { user: `k8s_${suffix}_ddl`, password: randomBytes(12).toString('hex') };
  const data = { user: `k8s_${suffix}`, password: randomBytes(12).toString('hex') };
  const url = (who: { user: string; password: string }) => `mysql://${who.user}:${who.password}@127.0.0.1:3306/${database}`;
  const xRun = path.join(workDir, 'x-run');
  const admin = () => createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });

  beforeAll(() => {
    // In the pod the script reaches the new server as root over its socket; here the same SQL goes to
    // this machine's MariaDB as its root, through a `mysql` first on the PATH.
    const bin = path.join(workDir, 'bin');
    execFileSync('mkdir', ['-p', bin]);
    writeFileSync(path.join(bin, 'mysql'), '#!/bin/sh\nexec /usr/bin/mysql -h 127.0.0.1 -P 3306 -u root\n');
    chmodSync(path.join(bin, 'mysql'), 0o755);
    const script = path.join(workDir, 'init.sh');
    writeFileSync(script, configMapFile('mysql-init', '10-service-database.sh'));
    const init = run('sh', [script], {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      MYSQL_ROOT_PASSWORD: 'unused-here',
      X_DATABASE: database,
      X_MIGRATION_USER: ddl.user,
      X_MIGRATION_PASSWORD: ddl.password,
      X_DATA_USER: data.user,
      X_DATA_PASSWORD: data.password,
    });
    if (init.status !== 0) throw new Error(`the init script failed: ${init.output}`);
    writeFileSync(xRun, xRunScript());
  });

  afterAll(async () => {
    const connection = await admin();
    try {
      await connection.query(`DROP DATABASE IF EXISTS \`${database}\``);
      for (const user of [ddl.user, data.user]) await connection.query('DROP USER IF EXISTS ?@?', [user, '%']);
    } finally {
      await connection.end();
    }
  });

  it('migrates as the DDL user (x-run migrate, MIGRATION_DATABASE_URL) and grants the data user (DATABASE_URL) the tables', async () => {
    const migrated = run('sh', [xRun, 'migrate', 'user'], { MIGRATION_DATABASE_URL: url(ddl), DATABASE_URL: url(data) });
    expect([migrated.status, migrated.output]).toEqual([0, expect.stringContaining('migrations applied')]);
    const connection = await createConnection({ host: '127.0.0.1', port: 3306, user: data.user, password: data.password, database });
    try {
      const tables = (await connection.query<{ name: string }[]>('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ?', [database])).map((t) => t.name);
      expect(tables).toEqual(expect.arrayContaining(['profiles', 'inbox', 'outbox']));
      expect(tables).not.toContain('_prisma_migrations');
      await connection.query('INSERT INTO inbox (consumer, event_id, event_type) VALUES (?, ?, ?)', ['user', randomUUID(), 'auth.user.registered']);
      await connection.query('UPDATE inbox SET event_type = event_type');
      await connection.query('DELETE FROM inbox');
    } finally {
      await connection.end();
    }
  });

  it('refuses the data user any change to the schema, and so any migration', async () => {
    const connection = await createConnection({ host: '127.0.0.1', port: 3306, user: data.user, password: data.password, database });
    try {
      await expect(connection.query('CREATE TABLE intruder (id INT)')).rejects.toThrow(/denied/i);
      await expect(connection.query('ALTER TABLE inbox ADD COLUMN intruder INT')).rejects.toThrow(/denied/i);
      await expect(connection.query('DROP TABLE inbox')).rejects.toThrow(/denied/i);
    } finally {
      await connection.end();
    }
    const asDataUser = run('sh', [xRun, 'migrate', 'user'], { DATABASE_URL: url(data) });
    expect([asDataUser.status, asDataUser.output]).toEqual([1, expect.stringMatching(/migration failed: .*denied/i)]);
  });

  it('refuses to migrate what has no MySQL database, or no service by that name', () => {
    expect(run('sh', [xRun, 'migrate', 'gateway'], {})).toEqual({ status: 64, output: 'x-run: gateway has no MySQL database to migrate\n' });
    expect(run('sh', [xRun, 'migrate', 'contact-infos'], {})).toEqual({ status: 64, output: 'x-run: contact-infos has no MySQL database to migrate\n' });
    expect(run('sh', [xRun, 'serve', 'nobody'], {})).toEqual({ status: 64, output: 'x-run: no service named nobody\n' });
  });
});

describe('each service’s broker user (the manifests’ Permission and TopicPermission)', () => {
  const vhost = `x-k8s-test-${suffix}`;
  const users = ['auth', 'user'].map((service) => ({ service, name: `x-${service}-${suffix}`, password: randomBytes(12).toString('hex') }));
  const amqpUrl = (user: (typeof users)[number]) => `amqp://${user.name}:${user.password}@127.0.0.1:5672/${encodeURIComponent(vhost)}`;
  const ctl = (...args: string[]) => execFileSync('rabbitmqctl', ['-q', ...args], { encoding: 'utf8', timeout: 60_000 });
  const spec = (kind: string, service: string) => objects.find((o) => o.kind === kind && o.metadata.name === `x-${service}`)?.spec as { permissions: Record<string, string> };
  const brokers: Broker[] = [];
  const consumers: Consumer[] = [];

  beforeAll(() => {
    ctl('add_vhost', vhost);
    for (const user of users) {
      ctl('add_user', user.name, user.password);
      const { configure, write, read } = spec('Permission', user.service).permissions;
      ctl('set_permissions', '-p', vhost, user.name, configure!, write!, read!);
      const topic = spec('TopicPermission', user.service).permissions;
      ctl('set_topic_permissions', '-p', vhost, user.name, topic.exchange!, topic.write!, topic.read!);
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all(consumers.map((consumer) => consumer.stop()));
    await Promise.all(brokers.map((broker) => broker.close()));
    ctl('delete_vhost', vhost);
    for (const user of users) ctl('delete_user', user.name);
  }, 60_000);

  it('lets auth publish its events and user declare its queues, consume them, retry and dead-letter through the kit', async () => {
    const [auth, user] = users;
    const authBroker = await connectBroker({ url: amqpUrl(auth!), exchange: 'x.events', name: 'auth', log, connectTimeoutMs: 10_000 });
    brokers.push(authBroker);
    const userBroker = await connectBroker({ url: amqpUrl(user!), exchange: 'x.events', name: 'user', log, connectTimeoutMs: 10_000 });
    brokers.push(userBroker);
    const handled: string[] = [];
    let attempts = 0;
    // The inbox is not what is tried here: each event is handled as it comes.
    const inbox: Inbox<undefined> = { handleOnce: async (_consumer, _event, effect) => (await effect(undefined), 'processed') };
    consumers.push(
      await startConsumer({
        broker: userBroker,
        queue: 'user',
        inbox,
        log,
        retryDelaysMs: [50],
        subscriptions: [
          on(AuthUserRegistered, async (event) => {
            attempts += 1;
            // The first attempt goes through a retry queue; the second is parked in the dead-letter queue.
            if (event.data.displayName === 'retry me' && attempts === 1) throw new Error('try again');
            if (event.data.displayName === 'retry me') throw new PermanentEventError('parked');
            handled.push(event.data.displayName);
          }),
        ],
      }),
    );
    const registered = (displayName: string) => buildEvent(AuthUserRegistered, randomUUID(), { userId: randomUUID(), email: `${randomUUID()}@example.com`, roles: ['customer'], displayName });
    await authBroker.publish(registered('Ada'));
    await authBroker.publish(registered('retry me'));
    const probe = await amqp.connect(amqpUrl(user!));
    try {
      const channel = await probe.createChannel();
      const deadline = Date.now() + 15_000;
      let parked = 0;
      while ((handled.length < 1 || parked < 1) && Date.now() < deadline) {
        parked = (await channel.checkQueue('x.events.user.dlq')).messageCount;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect({ handled, attempts, parked }).toEqual({ handled: ['Ada'], attempts: 2, parked: 1 });
    } finally {
      await probe.close();
    }
  }, 30_000);

  /** What a raw AMQP channel of `user` is refused, as the broker's 403 closing the channel. */
  async function refused(who: (typeof users)[number], attempt: (channel: amqp.ConfirmChannel) => Promise<unknown>): Promise<string> {
    const connection = await amqp.connect(amqpUrl(who));
    try {
      const channel = await connection.createConfirmChannel();
      const closed = new Promise<string>((resolve) => channel.on('error', (error: Error) => resolve(error.message)));
      const outcome = await Promise.race([attempt(channel).then(() => 'allowed', (error: Error) => error.message), closed]);
      return outcome === 'allowed' ? outcome : await Promise.race([closed, Promise.resolve(outcome)]);
    } finally {
      await connection.close().catch(() => undefined);
    }
  }

  it('refuses a service another service’s routing keys, queues and declarations', async () => {
    const [auth, user] = users;
    const publishAs = (routingKey: string) => (channel: amqp.ConfirmChannel) =>
      new Promise<void>((resolve, reject) => channel.publish('x.events', routingKey, Buffer.from('{}'), {}, (error) => (error ? reject(error) : resolve())));
    expect(await refused(auth!, publishAs('user.profile.updated'))).toMatch(/ACCESS_REFUSED|403/);
    expect(await refused(user!, publishAs('auth.user.registered'))).toMatch(/ACCESS_REFUSED|403/);
    expect(await refused(auth!, (channel) => channel.consume('x.events.user', () => undefined))).toMatch(/ACCESS_REFUSED|403/);
    expect(await refused(auth!, (channel) => channel.assertQueue('x.events.user.dlq', { durable: true, arguments: { 'x-queue-type': 'quorum' } }))).toMatch(/ACCESS_REFUSED|403/);
    expect(await refused(user!, (channel) => channel.assertQueue('x.events.picks', { durable: true, arguments: { 'x-queue-type': 'quorum' } }))).toMatch(/ACCESS_REFUSED|403/);
    expect(await refused(user!, (channel) => channel.assertExchange('x.other', 'topic', { durable: true }))).toMatch(/ACCESS_REFUSED|403/);
    // Its own routing keys go through.
    expect(await refused(user!, publishAs('user.profile.updated'))).toBe('allowed');
  }, 30_000);
});
