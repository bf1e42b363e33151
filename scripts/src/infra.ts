import { execFileSync } from 'node:child_process';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { createConnection } from 'mariadb';
import { parseMysqlUrl, type ServiceDefinition } from '@x/kit';
import { mongoUnavailableReason } from '@x/kit/mongo';

export interface InfraUrls {
  mysqlAdminUrl: string;
  redisUrl: string;
  amqpUrl: string;
  /** Optional: without a MongoDB replica set here, the services backed by MongoDB are skipped. */
  mongoUrl?: string;
}

interface Dependency {
  name: string;
  composeService: string;
  howToStart: string;
  check(urls: InfraUrls): Promise<void>;
}

const dependencies: Dependency[] = [
  {
    name: 'MariaDB/MySQL',
    composeService: 'mysql',
    howToStart: 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd   (or: docker compose up -d mysql)',
    async check({ mysqlAdminUrl }) {
      const connection = await createConnection({ ...parseMysqlUrl(mysqlAdminUrl), database: undefined, connectTimeout: 2_000 });
      await connection.end();
    },
  },
  {
    name: 'Redis',
    composeService: 'redis',
    howToStart: 'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no   (or: docker compose up -d redis)',
    async check({ redisUrl }) {
      const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await redis.connect();
        await redis.ping();
      } finally {
        redis.disconnect();
      }
    },
  },
  {
    name: 'RabbitMQ',
    composeService: 'rabbitmq',
    howToStart: 'rabbitmq-server -detached   (or: docker compose up -d rabbitmq)',
    async check({ amqpUrl }) {
      const connection = await amqp.connect(amqpUrl, { timeout: 2_000 });
      await connection.close();
    },
  },
];

function dockerAvailable(): boolean {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

async function answers(dependency: Dependency, urls: InfraUrls): Promise<string | undefined> {
  try {
    await dependency.check(urls);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Makes sure the databases and the broker answer. A missing one is started from docker-compose.yml
 * when a Docker engine runs; otherwise the error names it and how to start it.
 */
export async function ensureInfrastructure(urls: InfraUrls, report: (line: string) => void): Promise<void> {
  const missing: { dependency: Dependency; reason: string }[] = [];
  for (const dependency of dependencies) {
    const reason = await answers(dependency, urls);
    if (reason) missing.push({ dependency, reason });
    else report(`${dependency.name} answers`);
  }
  if (missing.length === 0) return;
  if (dockerAvailable()) {
    const services = missing.map(({ dependency }) => dependency.composeService);
    report(`starting ${services.join(', ')} with docker compose`);
    execFileSync('docker', ['compose', 'up', '-d', '--wait', ...services], { stdio: 'inherit' });
    for (const { dependency } of missing) {
      const reason = await answers(dependency, urls);
      if (reason) throw new Error(`${dependency.name} still does not answer after docker compose: ${reason}`);
    }
    return;
  }
  throw new Error(
    missing
      .map(({ dependency, reason }) => `${dependency.name} does not answer (${reason}).\n    Start it with: ${dependency.howToStart}`)
      .join('\n  '),
  );
}

/**
 * MongoDB is optional on a development machine (Debian has no server package; docker-compose runs
 * one): a service backed by it starts only when a replica set answers at `mongoUrl`. Otherwise it is
 * reported as skipped and the rest of the platform runs; the gateway answers its fields with errors.
 */
export async function withoutUnavailableMongo(
  services: readonly ServiceDefinition[],
  mongoUrl: string,
  report: (line: string) => void,
): Promise<ServiceDefinition[]> {
  const backed = services.filter((service) => service.backing.includes('mongodb'));
  if (backed.length === 0) return [...services];
  const reason = await mongoUnavailableReason(mongoUrl);
  if (reason === undefined) {
    report('MongoDB answers');
    return [...services];
  }
  for (const service of backed) report(`${service.name} skipped: ${reason}`);
  return services.filter((service) => !backed.includes(service));
}
