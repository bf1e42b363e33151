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
  /**
   * The real module (built), in a process started by a supervisor, directly or through a middle process
   * that outlives it (as `node --watch` does in start:dev); the supervisor then disappears with SIGKILL,
   * as a crashed `npm start` would.
   */
  async function orphanAfterSupervisorDies(throughMiddleProcess: boolean): Promise<void> {
    const tag = throughMiddleProcess ? 'middle' : 'direct';
    const closed = path.join(dir, `closed-${tag}`);
    const started = path.join(dir, `started-${tag}`);
    const service = `
      const fs = require('node:fs');
      const { Lifecycle } = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'lifecycle.js'))});
      const log = { info() {}, warn() {}, error() {} };
      const lifecycle = new Lifecycle(log);
      lifecycle.add('work', () => fs.writeFileSync(${JSON.stringify(closed)}, 'closed'));
      lifecycle.handleSignals(5000);
      lifecycle.exitWithParent(Number(process.env.SUPERVISOR_PID), 50);
      fs.writeFileSync(${JSON.stringify(started)}, String(process.pid));
      setInterval(() => {}, 1000);
    `;
    const spawnService = `spawn(process.execPath, ['-e', ${JSON.stringify(service)}], { stdio: 'ignore', env: { ...process.env, SUPERVISOR_PID: String(supervisor) } });`;
    // Like node --watch once its child is gone, except that this one then exits and leaves nothing behind.
    const middle = `const { spawn } = require('node:child_process'); const supervisor = Number(process.env.SUPERVISOR); ${spawnService.replace(/;$/, ".once('exit', () => process.exit(0));")}`;
    const supervisorScript = `
      const { spawn } = require('node:child_process');
      const supervisor = process.pid;
      ${throughMiddleProcess ? `spawn(process.execPath, ['-e', ${JSON.stringify(middle)}], { stdio: 'ignore', env: { ...process.env, SUPERVISOR: String(supervisor) } });` : spawnService}
      setInterval(() => {}, 1000);
    `;
    const supervisor = spawn(process.execPath, ['-e', supervisorScript], { stdio: 'ignore' });
    await until(() => existsSync(started));
    const orphan = Number(readFileSync(started, 'utf8'));
    // Polled every 50 ms: a service that took its middle process for a dead supervisor would be closed by now.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(existsSync(closed)).toBe(false);

    supervisor.kill('SIGKILL');

    await until(() => existsSync(closed));
    await until(() => {
      try {
        process.kill(orphan, 0);
        return false;
      } catch {
        return true;
      }
    });
  }

  it('shuts a process down gracefully, closers included, once the process that started it dies', async () => {
    await orphanAfterSupervisorDies(false);
  });

  it('keeps running under a middle process (node --watch) while the supervisor lives, and stops once it dies', async () => {
    await orphanAfterSupervisorDies(true);
  });
});
