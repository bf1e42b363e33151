import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'kit-profiling-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('profileOnSignal', () => {
  it('profiles only between two SIGUSR2 and writes a .cpuprofile named after the process', async () => {
    const started = path.join(dir, 'started');
    const child = spawn(
      process.execPath,
      [
        '-e',
        `
        const { profileOnSignal } = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'profiling.js'))});
        const lines = [];
        profileOnSignal('busy', { info: (o, m) => lines.push(m ?? o), error: (o) => { console.error(o); process.exit(2); } });
        require('node:fs').writeFileSync(${JSON.stringify(started)}, '');
        // Work to sample: a named function the profile must show.
        function spinForTheProfiler() { let x = 0; for (let i = 0; i < 1e5; i += 1) x += Math.sqrt(i); return x; }
        setInterval(spinForTheProfiler, 1);
        `,
      ],
      { env: { ...process.env, X_CPU_PROFILE_DIR: dir }, stdio: 'inherit' },
    );
    try {
      await until(() => existsSync(started));
      const file = path.join(dir, 'busy.cpuprofile');
      expect(existsSync(file)).toBe(false);
      child.kill('SIGUSR2');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(existsSync(file)).toBe(false);
      child.kill('SIGUSR2');
      await until(() => existsSync(file));
      await new Promise((resolve) => setTimeout(resolve, 200));
      const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: { callFrame: { functionName: string } }[]; samples: number[] };
      expect(profile.samples.length).toBeGreaterThan(0);
      expect(profile.nodes.some((node) => node.callFrame.functionName === 'spinForTheProfiler')).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
