import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import amqp from 'amqplib';
import { createConnection } from 'mariadb';
import { edge, gateway, liveServices, parseMysqlUrl } from '@x/kit';
import { startPlatform, type RunningPlatform } from '../../scripts/src/platform';

const mysqlAdminUrl = process.env.TEST_MYSQL_ADMIN_URL ?? 'mysql://root@127.0.0.1:3306/mysql';
const amqpUrl = 'amqp://guest:guest@127.0.0.1:5672';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface TestPlatform extends RunningPlatform {
  /** Holds secrets.json (each service's DB password) and the logs. */
  stateDir: string;
  /** Prefix of this platform's database names, DB users and Redis keys. */
  databasePrefix: string;
  exchange: string;
  teardown(): Promise<void>;
}

/**
 * The real platform as separate processes, on free ports, with its own databases, DB users and
 * exchange, so it never touches a platform a developer has running. Built code (dist) is what runs.
 * `redisUrl` sends every process to another Redis (a fault test puts a proxy it can cut in between).
 */
export async function startTestPlatform(options: { gatewayReplicas?: number; serviceReplicas?: number; nodeEnv?: 'test' | 'production'; redisUrl?: string } = {}): Promise<TestPlatform> {
  const id = randomBytes(3).toString('hex');
  const prefix = `t_sys_${id}_`;
  const exchange = `x.events.sys-${id}`;
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'x-system-'));
  const ports: Record<string, number> = {};
  const replicas = options.gatewayReplicas ?? 1;
  const gatewayNames = Array.from({ length: replicas }, (_, index) => (index === 0 ? gateway.name : `${gateway.name}-${index + 1}`));
  const serviceReplicas = options.serviceReplicas ?? 1;
  const serviceNames = liveServices().flatMap((s) => Array.from({ length: serviceReplicas }, (_, index) => (index === 0 ? s.name : `${s.name}-${index + 1}`)));
  for (const name of [...serviceNames, ...gatewayNames, edge.name]) ports[name] = await freePort();

  const platform = await startPlatform({
    stateDir,
    mysqlAdminUrl,
    redisUrl: options.redisUrl ?? 'redis://127.0.0.1:6379',
    amqpUrl,
    ports,
    databasePrefix: prefix,
    eventsExchange: exchange,
    nodeEnv: options.nodeEnv ?? 'test',
    gatewayReplicas: replicas,
    serviceReplicas,
  });

  return {
    ...platform,
    stateDir,
    databasePrefix: prefix,
    exchange,
    teardown: async () => {
      await platform.stop();
      await dropDatabasesAndUsers(prefix);
      await deleteBrokerTopology(exchange);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

async function dropDatabasesAndUsers(prefix: string): Promise<void> {
  const connection = await createConnection({ ...parseMysqlUrl(mysqlAdminUrl), database: undefined });
  try {
    const databases = await connection.query<{ name: string }[]>('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?', [`${prefix}%`]);
    for (const { name } of databases) await connection.query(`DROP DATABASE \`${name}\``);
    const users = await connection.query<{ user: string; host: string }[]>('SELECT User AS user, Host AS host FROM mysql.user WHERE User LIKE ?', [`${prefix}%`]);
    for (const { user, host } of users) await connection.query('DROP USER ?@?', [user, host]);
  } finally {
    await connection.end();
  }
}

/**
 * Removes the test exchange's queues and exchanges: their names from rabbitmqctl (beside the broker on
 * this machine), the deletions over one AMQP connection (a rabbitmqctl run per queue took half a second each).
 */
async function deleteBrokerTopology(exchange: string): Promise<void> {
  try {
    const queues = execFileSync('rabbitmqctl', ['-q', 'list_queues', 'name'], { encoding: 'utf8', timeout: 20_000 })
      .split('\n')
      .map((line) => line.trim())
      .filter((name) => name.startsWith(`${exchange}.`));
    const connection = await amqp.connect(amqpUrl);
    try {
      const channel = await connection.createChannel();
      for (const queue of queues) await channel.deleteQueue(queue);
      for (const name of [exchange, `${exchange}.unrouted`]) await channel.deleteExchange(name);
    } finally {
      await connection.close();
    }
  } catch {
    // Leftover queues are harmless: their names are unique to this run.
  }
}
