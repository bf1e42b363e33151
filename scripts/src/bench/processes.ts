import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { repoRoot } from '../platform';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface Helper {
  name: string;
  url: string;
  child: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts a helper process (logs into logDir) and waits until `readyUrl` answers 2xx. */
export async function startHelper(options: {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  logDir: string;
  url: string;
  readyUrl: string;
  timeoutMs?: number;
}): Promise<Helper> {
  mkdirSync(options.logDir, { recursive: true });
  const log = createWriteStream(path.join(options.logDir, `${options.name}.log`), { flags: 'a' });
  const child = spawn(options.command, options.args, { cwd: repoRoot, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  let exitedEarly = false;
  child.once('exit', () => {
    exitedEarly = true;
  });
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, 15_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill(signal);
      });
    }
    log.end();
  };
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (exitedEarly) throw new Error(`${options.name} exited while starting; see ${path.join(options.logDir, `${options.name}.log`)}`);
    try {
      const response = await fetch(options.readyUrl, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop('SIGKILL');
      throw new Error(`${options.name} not ready within ${(options.timeoutMs ?? 60_000) / 1000} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { name: options.name, url: options.url, child, stop };
}

export const echoBody = '{"data":{"__typename":"Query"}}';

/** A tiny keep-alive JSON server in its own process: the upstream of the edge-cost comparison. */
export async function startEcho(logDir: string): Promise<Helper> {
  const port = await freePort();
  const code = `const body=Buffer.from(${JSON.stringify(echoBody)});require('node:http').createServer((q,s)=>{q.resume();q.on('end',()=>{s.writeHead(200,{'content-type':'application/json','content-length':body.length});s.end(body)})}).listen(${port},'127.0.0.1')`;
  return startHelper({ name: 'echo', command: process.execPath, args: ['-e', code], logDir, url: `http://127.0.0.1:${port}`, readyUrl: `http://127.0.0.1:${port}/` });
}

/** Debian's nginx as a keep-alive reverse proxy (one worker, like the single-process edge), or why it cannot run. */
export async function startNginx(upstreamPort: number, workDir: string, logDir: string): Promise<Helper | string> {
  if (spawnSync('nginx', ['-v']).error) {
    const installed = spawnSync('apt-get', ['install', '-y', 'nginx'], { stdio: 'ignore', timeout: 180_000 });
    if (installed.status !== 0 || spawnSync('nginx', ['-v']).error) return 'nginx is not installed and `apt-get install -y nginx` failed';
  }
  const dir = path.join(workDir, 'nginx');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${dir}/${kind};`).join('\n');
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log ${dir}/access.log;
${temp}
  upstream echo { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://echo;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`,
  );
  try {
    return await startHelper({
      name: 'nginx',
      command: 'nginx',
      args: ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'],
      logDir,
      url: `http://127.0.0.1:${port}`,
      readyUrl: `http://127.0.0.1:${port}/`,
      timeoutMs: 15_000,
    });
  } catch (error) {
    return `nginx did not start: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** Resident memory (KiB) of a process, 0 if gone. */
export function rssKiB(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** The pids whose parent is `parent` (from /proc). */
export function childPids(parent: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

export function binary(name: string): string | undefined {
  const file = path.join(repoRoot, 'node_modules', '.bin', name);
  return existsSync(file) ? file : undefined;
}

/** CPU time (user + system) a process has used so far, in seconds (clock ticks of /proc/<pid>/stat at 100 Hz). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the comm: state(0) ppid(1) … utime(11) stime(12).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * Share of one core each named process used while `work` ran: where a load spends the machine's CPU
 * (1.0 = one core busy the whole time).
 */
export async function cpuShares<T>(pids: Record<string, number>, work: () => Promise<T>): Promise<{ result: T; cpu: Record<string, number> }> {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  const cpu = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, Math.round(((cpuSeconds(pid) - before[name]!) / seconds) * 100) / 100]));
  return { result, cpu };
}

/** CPU seconds each named process used while `work` ran. */
export async function cpuSecondsDuring<T>(pids: Record<string, number>, work: () => Promise<T>): Promise<{ result: T; cpuSeconds: Record<string, number>; wallSeconds: number }> {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  const started = performance.now();
  const result = await work();
  const wallSeconds = (performance.now() - started) / 1000;
  const used = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, Math.round((cpuSeconds(pid) - before[name]!) * 100) / 100]));
  return { result, cpuSeconds: used, wallSeconds };
}

/** Where a Node process's resident memory goes, in MiB. */
export interface MemoryBreakdown {
  rssMiB: number;
  /** Mapped files: the node binary's code and shared libraries (shared between processes, paged in on use). */
  fileMiB: number;
  /** Anonymous memory: the JS heap, buffers, Wasm and native allocations. */
  anonMiB: number;
  /** V8's heap as reserved (total) and in use (used); new space is the young generation, the rest old objects and code. */
  heapTotalMiB?: number;
  heapUsedMiB?: number;
  newSpaceMiB?: number;
  codeSpaceMiB?: number;
  /** Memory held outside V8's heap by Buffers and ArrayBuffers. */
  externalMiB?: number;
  /** Anonymous memory neither heap nor external: native allocations, Wasm, thread stacks, malloc's slack. */
  nativeMiB?: number;
}

const mib = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

/** RSS split by /proc/<pid>/status, and the heap by the process's own Prometheus metrics when it has them. */
export async function memoryBreakdown(pid: number, metricsUrl?: string): Promise<MemoryBreakdown> {
  let status = '';
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    // exited
  }
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)\\s+kB`).exec(status)?.[1] ?? 0);
  const breakdown: MemoryBreakdown = { rssMiB: mib(kib('VmRSS') * 1024), fileMiB: mib(kib('RssFile') * 1024), anonMiB: mib(kib('RssAnon') * 1024) };
  if (!metricsUrl) return breakdown;
  try {
    const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(5_000) })).text();
    const metric = (name: string, labels = '') => {
      const line = text.split('\n').find((candidate) => candidate.startsWith(name) && candidate.includes(labels) && !candidate.startsWith('#'));
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : undefined;
    };
    const heapTotal = metric('nodejs_heap_size_total_bytes');
    const external = metric('nodejs_external_memory_bytes');
    Object.assign(breakdown, {
      heapTotalMiB: heapTotal === undefined ? undefined : mib(heapTotal),
      heapUsedMiB: mib(metric('nodejs_heap_size_used_bytes') ?? 0),
      newSpaceMiB: mib(metric('nodejs_heap_space_size_total_bytes', 'space="new"') ?? 0),
      codeSpaceMiB: mib(metric('nodejs_heap_space_size_total_bytes', 'space="code"') ?? 0),
      externalMiB: external === undefined ? undefined : mib(external),
      nativeMiB: heapTotal === undefined || external === undefined ? undefined : Math.max(0, Math.round((breakdown.anonMiB - mib(heapTotal) - mib(external)) * 10) / 10),
    });
  } catch {
    // no metrics endpoint answering: the /proc split alone
  }
  return breakdown;
}
