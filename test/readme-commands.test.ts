import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { edge, gateway, liveServices } from '@x/kit';

/**
 * The README's commands as a person types them, in the repository, on the default ports: `npm start`
 * and Ctrl-C, `npm run seed`, the walkthrough (the README's own shell block, run by bash),
 * `npm run compose -- --check`, `npm run dlq -- list`, `npm run hq:rebuild`, and
 * `npm run start:dev user` surviving an edit and a compile error.
 */
const repoRoot = path.resolve(__dirname, '..');
const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const edgeUrl = `http://127.0.0.1:${edge.port}`;
// contact-infos runs only with MongoDB; the walkthrough does not need it.
const ports = [edge.port, gateway.port, ...liveServices().filter((s) => s.name !== 'contact-infos').map((s) => s.port)];
// What a person's shell has, not what jest adds.
const { NODE_ENV: _nodeEnv, JEST_WORKER_ID: _worker, ...shellEnv } = process.env;

interface Command {
  child: ChildProcess;
  output(): string;
  /** Resolves once the output contains `text` (after `from` characters), rejects if the command ends first. */
  waitFor(text: string | RegExp, timeoutMs?: number, from?: number): Promise<void>;
  exited: Promise<number | null>;
  /** Ctrl-C: SIGINT to the whole process group, as a terminal sends it. */
  interrupt(): void;
}

function run(command: string, args: readonly string[]): Command {
  let output = '';
  const child = spawn(command, args, { cwd: repoRoot, env: shellEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // 'close': every process holding its output is gone (npm itself may end first, on the terminal's SIGINT).
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let ended = false;
  void exited.then(() => (ended = true));
  return {
    child,
    output: () => output,
    exited,
    interrupt: () => process.kill(-child.pid!, 'SIGINT'),
    async waitFor(text, timeoutMs = 120_000, from = 0) {
      const deadline = Date.now() + timeoutMs;
      const seen = () => (typeof text === 'string' ? output.slice(from).includes(text) : text.test(output.slice(from)));
      while (!seen()) {
        if (ended) throw new Error(`${command} ${args.join(' ')} ended before printing ${String(text)}:\n${output.slice(-3000)}`);
        if (Date.now() > deadline) throw new Error(`${command} ${args.join(' ')} did not print ${String(text)} in time:\n${output.slice(-3000)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
  };
}

/** A command that runs to its end: its exit code and everything it printed. */
async function runToEnd(command: string, args: readonly string[], timeoutMs = 120_000): Promise<{ status: number | null; output: string }> {
  const running = run(command, args);
  const timer = setTimeout(() => process.kill(-running.child.pid!, 'SIGKILL'), timeoutMs);
  const status = await running.exited;
  clearTimeout(timer);
  return { status, output: running.output() };
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

/** The process listening on a port, so a restart shows as a new process id. */
function pidListeningOn(port: number): number | undefined {
  const { stdout } = spawnSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
  const match = /pid=(\d+)/.exec(stdout);
  return match ? Number(match[1]) : undefined;
}

async function eventually<T>(attempt: () => Promise<T> | T, accept: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await attempt();
      if (accept(value)) return value;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function stopWithCtrlC(command: Command): Promise<void> {
  command.interrupt();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), 45_000)));
  const ended = await Promise.race([command.exited, hung]);
  clearTimeout(timer);
  if (ended === 'hung') process.kill(-command.child.pid!, 'SIGKILL');
  // npm itself ends by the terminal's SIGINT, as in a shell; the platform under it stops cleanly.
  expect(ended === 0 || command.child.signalCode === 'SIGINT').toBe(true);
  expect(command.output()).toContain('[x] stopped');
  for (const port of ports) expect(await listening(port)).toBe(false);
}

/** The README's fenced shell block that contains `marker`. */
function readmeBlock(marker: string): string {
  const at = readme.indexOf(marker);
  const start = readme.lastIndexOf('```sh\n', at);
  const end = readme.indexOf('```', at);
  if (at < 0 || start < 0 || end < 0) throw new Error(`README has no shell block with "${marker}"`);
  return readme.slice(start + '```sh\n'.length, end);
}

async function graphqlThroughEdge(query: string, token?: string): Promise<{ status: number; body: { data?: Record<string, unknown>; errors?: unknown[] } }> {
  const response = await fetch(`${edgeUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] } };
}

jest.setTimeout(300_000);

beforeAll(async () => {
  const taken = [];
  for (const port of ports) if (await listening(port)) taken.push(port);
  // The README's commands use the default ports; a platform left running would answer in their place.
  if (taken.length) throw new Error(`ports ${taken.join(', ')} are in use: stop the running platform (Ctrl-C in its terminal) before this test`);
});

describe('the README, typed as a person would', () => {
  let platform: Command | undefined;

  afterAll(async () => {
    if (platform && platform.child.exitCode === null && platform.child.signalCode === null) {
      platform.interrupt();
      await platform.exited;
    }
  });

  it('npm start serves :9090 and prints working hq_admin credentials', async () => {
    platform = run('npm', ['start']);
    await platform.waitFor('Ctrl-C stops everything');
    expect(platform.output()).toMatch(/first hq_admin\s+hq@x\.local \/ \S+ +\(from \.x\/secrets\.json\), checked: they log in/);
    const answer = await graphqlThroughEdge('{ __typename }');
    expect(answer).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
  });

  it('npm run seed builds the demo marketplace', async () => {
    const seeded = await runToEnd('npm', ['run', 'seed']);
    expect(seeded.output).toContain('[seed] stores: 9 approved across Paris, Lyon, Berlin');
    expect(seeded.status).toBe(0);
  });

  it('npm run compose -- --check, npm run dlq -- list and npm run hq:rebuild answer as the README says', async () => {
    const compose = await runToEnd('npm', ['run', 'compose', '--', '--check']);
    expect(compose.output).toContain('supergraph is up to date');
    expect(compose.status).toBe(0);
    const dlq = await runToEnd('npm', ['run', 'dlq', '--', 'list']);
    expect(dlq.output).toMatch(/no dead letters in x\.events\.user, /);
    expect(dlq.status).toBe(0);
    const rebuild = await runToEnd('npm', ['run', 'hq:rebuild']);
    expect(rebuild.output).toContain('headquarter read models rebuilt from the audit trail');
    expect(rebuild.status).toBe(0);
  });

  it("the walkthrough's GraphQL steps take an order from placement to the doorstep", async () => {
    // The seed's seven logins and the walkthrough's four would pass the edge's 10 a minute per address
    // in one window; a person reading the README between them takes longer than that.
    await new Promise((resolve) => setTimeout(resolve, 60_000 - (Date.now() % 60_000) + 500));
    const script = readmeBlock('# helpers: log in, and send a GraphQL document');
    const walkthrough = await runToEnd('bash', ['-euo', 'pipefail', '-c', script], 180_000);
    expect(walkthrough.status).toBe(0);
    expect(walkthrough.output).not.toContain('"errors"');
    for (const status of ['CONFIRMED', 'PREPARING', 'READY_FOR_PICKUP', 'CLAIMED', 'PICKED_UP', 'DELIVERED']) {
      expect(walkthrough.output).toContain(`"status":"${status}"`);
    }
    expect(walkthrough.output).toContain('"type":"order.order.delivered"');
  });

  it('Ctrl-C stops every process', async () => {
    await stopWithCtrlC(platform!);
  });
});

describe('npm run start:dev user, as the README describes it', () => {
  const edited = path.join(repoRoot, 'subgraphs', 'user', 'src', 'domain', 'profile.ts');
  const original = readFileSync(edited, 'utf8');
  let dev: Command | undefined;

  afterAll(async () => {
    writeFileSync(edited, original);
    if (dev && dev.child.exitCode === null && dev.child.signalCode === null) {
      dev.interrupt();
      await dev.exited;
    }
  });

  it('explains itself and names the processes it can watch', async () => {
    const help = await runToEnd('npm', ['run', 'start:dev', '--', '--help']);
    expect(help.status).toBe(0);
    expect(help.output).toContain('usage: npm run start:dev <process>');
    const unknown = await runToEnd('npm', ['run', 'start:dev', 'usr']);
    expect(unknown.status).not.toBe(0);
    expect(unknown.output).toContain('unknown process "usr"');
    expect(unknown.output).toMatch(/processes: auth, user, store, /);
  });

  it('serves :9090 with user in watch mode, restarts only user on an edit, and keeps the last good build through a compile error', async () => {
    dev = run('npm', ['run', 'start:dev', 'user']);
    await dev.waitFor('Ctrl-C stops everything');
    expect(dev.output()).toContain('watching          user');
    const token = await eventually(
      async () => {
        const response = await fetch(`${edgeUrl}/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'carla@demo.example', password: 'demo password 2026' }),
        });
        return ((await response.json()) as { accessToken?: string }).accessToken;
      },
      (value) => typeof value === 'string',
    );
    const profile = () => graphqlThroughEdge('{ me { profile { displayName } } }', token);
    expect((await profile()).body).toEqual({ data: { me: { profile: { displayName: 'carla' } } } });

    const userPort = liveServices().find((s) => s.name === 'user')!.port;
    const orderPort = liveServices().find((s) => s.name === 'order')!.port;
    const userBefore = pidListeningOn(userPort);
    const orderBefore = pidListeningOn(orderPort);
    expect(userBefore).toBeDefined();

    // An edit: user is rebuilt and restarted, and answers again; order is the same process.
    writeFileSync(edited, `${original}\nexport const editedByTheReadmeTest = true;\n`);
    const userAfter = await eventually(() => pidListeningOn(userPort), (pid) => pid !== undefined && pid !== userBefore);
    await eventually(profile, (answer) => JSON.stringify(answer.body) === JSON.stringify({ data: { me: { profile: { displayName: 'carla' } } } }));
    expect(pidListeningOn(orderPort)).toBe(orderBefore);

    // A compile error is printed; the last good build keeps serving.
    const beforeError = dev.output().length;
    writeFileSync(edited, `${original}\nexport const editedByTheReadmeTest: number = 'not a number';\n`);
    await dev.waitFor(/error TS2322[\s\S]*Found 1 error/, 60_000, beforeError);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(pidListeningOn(userPort)).toBe(userAfter);
    expect((await profile()).body).toEqual({ data: { me: { profile: { displayName: 'carla' } } } });

    // Fixed: built and restarted again.
    writeFileSync(edited, original);
    await eventually(() => pidListeningOn(userPort), (pid) => pid !== undefined && pid !== userAfter);
    await eventually(profile, (answer) => JSON.stringify(answer.body) === JSON.stringify({ data: { me: { profile: { displayName: 'carla' } } } }));
    expect(pidListeningOn(orderPort)).toBe(orderBefore);
  });

  it('Ctrl-C stops every process, the compiler included', async () => {
    await stopWithCtrlC(dev!);
    expect(spawnSync('pgrep', ['-f', `${repoRoot}/node_modules/typescript/bin/tsc -b -w`]).status).toBe(1);
  });
});
