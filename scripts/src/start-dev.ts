import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { edge, gateway, liveServices } from '@x/kit';
import { runInForeground } from './foreground';
import { repoRoot } from './platform';

const names = [...liveServices().map((s) => s.name), gateway.name, edge.name];
const usage = `usage: npm run start:dev <process>

Runs the whole platform as \`npm start\` does, with <process> in watch mode: a saved change rebuilds it
(tsc -b -w) and restarts only that process; a compile error is shown here and the last good build
keeps serving until it is fixed.

processes: ${names.join(', ')}
`;

/** The compiler as the typescript package declares it (its `bin`), not a path inside the package. */
function typescriptCompiler(): string {
  const manifestPath = require.resolve('typescript/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin: string | Record<string, string> };
  const bin = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin.tsc;
  if (!bin) throw new Error('the typescript package declares no tsc binary');
  return path.join(path.dirname(manifestPath), bin);
}

/** `npm run start:dev <process>`: the platform, with one process rebuilt and restarted on every change. */
function main(): Promise<void> {
  const target = process.argv[2];
  if (target === '--help' || target === '-h') {
    process.stdout.write(usage);
    process.exit(0);
  }
  if (!target || !names.includes(target)) {
    process.stderr.write(`${target ? `unknown process "${target}"\n\n` : ''}${usage}`);
    process.exit(2);
  }
  // noEmitOnError (tsconfig.base.json) keeps the last good build in dist/ while the source does not
  // compile, so `node --watch` has nothing new to restart. TypeScript 7's tsc starts a native child:
  // it runs in its own process group so one signal stops both.
  const compiler = spawn(process.execPath, [typescriptCompiler(), '-b', '-w', '--preserveWatchOutput'], {
    cwd: repoRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
  });
  const stopCompiler = () => {
    if (compiler.pid && compiler.exitCode === null) process.kill(-compiler.pid, 'SIGTERM');
  };
  return runInForeground({ watch: [target], afterStop: stopCompiler });
}

main().catch((error: unknown) => {
  process.stderr.write(`[x] could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
