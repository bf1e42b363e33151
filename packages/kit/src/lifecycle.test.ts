import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'kit-lifecycle-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Resolves once `check` holds, polling; rejects after `timeoutMs`. */
async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Lifecycle.exitWithParent', () => {
  it('shuts a process down gracefully, closers included, once the process that started it dies', async () => {
    const closed = path.join(dir, 'closed');
    const started = path.join(dir, 'started');
    // The real module (built), in a process whose parent then disappears with SIGKILL, as a crashed `npm start` would.
    const service = `
      const fs = require('node:fs');
      const { Lifecycle } = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'lifecycle.js'))});
      const log = { info() {}, warn() {}, error() {} };
      const lifecycle = new Lifecycle(log);
      lifecycle.add('work', () => fs.writeFileSync(${JSON.stringify(closed)}, 'closed'));
      lifecycle.handleSignals(5000);
      lifecycle.exitWithParent(process.ppid, 50);
      fs.writeFileSync(${JSON.stringify(started)}, String(process.pid));
      setInterval(() => {}, 1000);
    `;
    const parentScript = `
      const { spawn } = require('node:child_process');
      spawn(process.execPath, ['-e', ${JSON.stringify(service)}], { stdio: 'ignore' });
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['-e', parentScript], { stdio: 'ignore' });
    await until(() => existsSync(started));
    const orphan = Number(readFileSync(started, 'utf8'));
    expect(existsSync(closed)).toBe(false);

    parent.kill('SIGKILL');

    await until(() => existsSync(closed));
    await until(() => {
      try {
        process.kill(orphan, 0);
        return false;
      } catch {
        return true;
      }
    });
  });
});
