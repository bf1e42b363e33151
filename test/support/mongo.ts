import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { defaultMongoUrl, redactMongoUrl } from '@x/kit';
import { connectMongo } from '@x/kit/mongo';
import type { Connection } from 'mongoose';

/**
 * MongoDB for integration tests: a replica set at MONGO_URL (transactions need one). This machine has
 * none (no server package; the npm packages that bundle mongod download it), docker-compose has one.
 */
export const mongoUrl = process.env.MONGO_URL ?? defaultMongoUrl;

const probeScript = `
const { MongoClient } = require('mongoose').mongo;
let client;
Promise.resolve()
  .then(() => {
    client = new MongoClient(process.env.MONGO_URL, { serverSelectionTimeoutMS: 1000 });
    return client.connect();
  })
  .then(() => client.db('admin').command({ hello: 1 }))
  .then((hello) => {
    if (typeof hello.setName !== 'string' && hello.msg !== 'isdbgrid') throw new Error('a standalone server answers, but transactions need a replica set');
    return client.close();
  })
  .then(() => process.exit(0), (error) => {
    process.stderr.write(String(error && error.message).split('\\n')[0]);
    process.exit(1);
  });
`;

/** Why no usable MongoDB answers, or undefined when one does. */
function probe(): string | undefined {
  try {
    execFileSync(process.execPath, ['-e', probeScript], {
      cwd: path.resolve(__dirname, '../..'),
      env: { ...process.env, MONGO_URL: mongoUrl },
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 15_000,
    });
    return undefined;
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return stderr || (error instanceof Error ? error.message : String(error));
  }
}

/** Decided once per test file, while it loads. */
export const mongoUnavailable = probe();

/**
 * `describe` for tests that need MongoDB. Jest fixes a file's describe blocks synchronously while the
 * file loads, before an async check could answer, so a synchronous probe (a child process) decides.
 * Without MongoDB the block is registered as skipped, never silently passed: its title says
 * "skipped: no MongoDB at <url>" and the reason is printed, so the run shows what did not run and why.
 */
export function describeWithMongo(title: string, body: () => void): void {
  if (mongoUnavailable === undefined) {
    describe(title, body);
    return;
  }
  const where = redactMongoUrl(mongoUrl);
  process.stderr.write(`\n[skipped] ${title}: no MongoDB at ${where} (${mongoUnavailable}); set MONGO_URL to a replica set to run it\n`);
  describe.skip(`${title} (skipped: no MongoDB at ${where})`, body);
}

/** A throwaway database on the test MongoDB; drop() removes it and closes the connection. */
export async function createTestMongo(prefix: string): Promise<{ connection: Connection; name: string; drop(): Promise<void> }> {
  const name = `t_${prefix.replace(/[^A-Za-z0-9]/g, '_')}_${randomBytes(4).toString('hex')}`;
  const connection = await connectMongo({ url: mongoUrl, database: name });
  return {
    connection,
    name,
    drop: async () => {
      await connection.dropDatabase();
      await connection.close();
    },
  };
}
