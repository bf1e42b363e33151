import net from 'node:net';
import { services as registry, type ServiceDefinition } from '@x/kit';
import { withoutUnavailableMongo } from './infra';

const all: readonly ServiceDefinition[] = registry;

async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('starting the platform without MongoDB', () => {
  it('skips the services backed by MongoDB, says why and how to start one, and keeps every other service', async () => {
    const lines: string[] = [];
    const mongoUrl = `mongodb://127.0.0.1:${await closedPort()}`;
    const started = await withoutUnavailableMongo(all, mongoUrl, (line) => lines.push(line));
    expect(started.map((service) => service.name)).toEqual(all.filter((service) => !service.backing.includes('mongodb')).map((service) => service.name));
    expect(lines).toEqual([expect.stringMatching(/^contact-infos skipped: no MongoDB answers at mongodb:\/\/127\.0\.0\.1:\d+ \(connect ECONNREFUSED .*\(docker compose up -d mongodb\)/)]);
  });

  it('does not look for MongoDB when no service to start needs it', async () => {
    const lines: string[] = [];
    const mysqlOnly = all.filter((service) => !service.backing.includes('mongodb'));
    expect(await withoutUnavailableMongo(mysqlOnly, 'mongodb://127.0.0.1:1', (line) => lines.push(line))).toEqual(mysqlOnly);
    expect(lines).toEqual([]);
  });
});
