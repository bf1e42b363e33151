import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { logFlushIntervalMs } from './logger';

let dir: string;
beforeAll(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'kit-logger-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The built logger in a process whose standard output is a file, as the platform runs every service. */
function logInChild(name: string, script: string): { file: string; exited: Promise<number | null>; stop(): void } {
  const file = path.join(dir, `${name}.log`);
  const out = openSync(file, 'a');
  const child = spawn(process.execPath, ['-e', `const { createLogger } = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'logger.js'))}); const log = createLogger('logger-test'); ${script}`], {
    stdio: ['ignore', out, 'inherit'],
  });
  return { file, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))), stop: () => child.kill('SIGKILL') };
}

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);

describe('createLogger on standard output', () => {
  it('writes every line before a normal exit, however small the last chunk', async () => {
    const { file, exited } = logInChild('exit', `for (let i = 0; i < 1000; i += 1) log.info({ i }, 'line'); log.info('last');`);
    expect(await exited).toBe(0);
    const written = lines(file).map((line) => JSON.parse(line) as { msg: string });
    expect(written).toHaveLength(1001);
    expect(written.at(-1)!.msg).toBe('last');
  });

  it('gets a lone line to the file within the flush interval while the process runs on', async () => {
    const { file, exited, stop } = logInChild('idle', `log.info('alone'); setTimeout(() => process.exit(0), 10_000);`);
    const deadline = Date.now() + 5_000;
    while (!readFileSync(file, 'utf8').includes('"msg":"alone"') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, logFlushIntervalMs / 4));
    expect(lines(file)).toHaveLength(1);
    stop();
    await exited;
  });
});
