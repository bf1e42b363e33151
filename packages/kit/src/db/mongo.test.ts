import net from 'node:net';
import { z } from 'zod';
import { StartupError } from '../errors';
import { connectMongo, isDuplicateKeyError, mongoUnavailableReason } from './mongo';
import { mongoUrlSetting, redactMongoUrl } from './mongo-settings';

/** A port nothing listens on: taken from the OS, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('connecting to MongoDB', () => {
  it('refuses with a StartupError that names the server (without its password) and how to start one', async () => {
    const port = await closedPort();
    const attempt = connectMongo({ url: `mongodb://x_contact_infos:s3cret@127.0.0.1:${port}/x_contact_infos`, database: 'x_contact_infos', timeoutMs: 300 });
    await expect(attempt).rejects.toBeInstanceOf(StartupError);
    await expect(attempt).rejects.toThrow(
      new RegExp(`^no MongoDB answers at mongodb://x_contact_infos:\\*\\*\\*@127\\.0\\.0\\.1:${port}/x_contact_infos \\(connect ECONNREFUSED .*\\); start one \\(docker compose up -d mongodb\\) or set MONGO_URL$`),
    );
  });

  it('tells a start script why it should skip a MongoDB service', async () => {
    const port = await closedPort();
    expect(await mongoUnavailableReason(`mongodb://127.0.0.1:${port}`, 300)).toMatch(/^no MongoDB answers at mongodb:\/\/127\.0\.0\.1:\d+ \(connect ECONNREFUSED/);
  });

  it('redacts only the password of a connection string', () => {
    expect(redactMongoUrl('mongodb://root:p@ss:w0rd@mongodb:27017/?authSource=admin')).toBe('mongodb://root:***@mongodb:27017/?authSource=admin');
    expect(redactMongoUrl('mongodb+srv://app:secret@cluster0.example.net/x')).toBe('mongodb+srv://app:***@cluster0.example.net/x');
    expect(redactMongoUrl('mongodb://127.0.0.1:27017')).toBe('mongodb://127.0.0.1:27017');
  });

  it('accepts replica-set and SRV connection strings in MONGO_URL and refuses other schemes', () => {
    const setting = z.object({ MONGO_URL: mongoUrlSetting() });
    expect(setting.parse({}).MONGO_URL).toBe('mongodb://127.0.0.1:27017');
    expect(setting.parse({ MONGO_URL: 'mongodb://a:1,b:2,c:3/x?replicaSet=rs0' }).MONGO_URL).toBe('mongodb://a:1,b:2,c:3/x?replicaSet=rs0');
    expect(setting.safeParse({ MONGO_URL: 'mongodb+srv://cluster0.example.net' }).success).toBe(true);
    expect(setting.safeParse({ MONGO_URL: 'http://127.0.0.1:27017' }).success).toBe(false);
  });

  it('recognises a unique-index violation (E11000) and nothing else as a duplicate key', () => {
    expect(isDuplicateKeyError(Object.assign(new Error('E11000 duplicate key error'), { code: 11000 }))).toBe(true);
    expect(isDuplicateKeyError(Object.assign(new Error('WriteConflict'), { code: 112 }))).toBe(false);
    expect(isDuplicateKeyError(new Error('E11000 in a message only'))).toBe(false);
  });
});
