import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** The built service (npm test builds before jest runs), started as `npm start` or compose would. */
const main = path.resolve(__dirname, '../dist/main.js');

async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('starting contact-infos', () => {
  it('refuses to start without MongoDB, with one log line that says what to start and no stack trace', async () => {
    expect(existsSync(main)).toBe(true);
    const mongoUrl = `mongodb://x_contact_infos:s3cret@127.0.0.1:${await closedPort()}/x_contact_infos`;
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = execFile(process.execPath, [main], { env: { ...process.env, MONGO_URL: mongoUrl, PORT: '0', LOG_LEVEL: 'info' }, timeout: 20_000 }, (_error, stdout, stderr) =>
        resolve({ code: child.exitCode, output: `${stdout}${stderr}` }),
      );
    });
    expect(code).toBe(1);
    const lines = output.trim().split('\n').map((line) => JSON.parse(line) as { level: string; msg: string; err?: unknown });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'fatal',
        msg: expect.stringMatching(/^contact-infos cannot start: no MongoDB answers at mongodb:\/\/x_contact_infos:\*\*\*@127\.0\.0\.1:\d+\/x_contact_infos \(connect ECONNREFUSED [^)]+\); start one \(docker compose up -d mongodb\) or set MONGO_URL$/),
      }),
    ]);
    expect(lines[0]?.err).toBeUndefined();
    expect(output).not.toContain('s3cret');
  });
});
