import { spawn } from 'node:child_process';
import path from 'node:path';
import { edge, gateway, liveServices } from '@x/kit';
import { repoRoot, startPlatform } from './platform';

/**
 * `npm run start:dev <service>`: the whole platform, with one process in watch mode. `tsc -b -w`
 * recompiles on save (it emits the decorator metadata and declarations that esbuild-based runners
 * drop) and `node --watch` restarts the process when its compiled code changes.
 */
async function main(): Promise<void> {
  const names = [...liveServices().map((s) => s.name), gateway.name, edge.name];
  const target = process.argv[2];
  if (!target || !names.includes(target)) {
    process.stderr.write(`usage: npm run start:dev <${names.join('|')}>\n`);
    process.exit(2);
  }
  const say = (line: string) => process.stdout.write(`[x] ${line}\n`);
  // TypeScript 7's tsc starts a native child: it runs in its own process group so one signal stops both.
  const compiler = spawn(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', '-w', '--preserveWatchOutput'], {
    cwd: repoRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
  });
  const stopCompiler = () => {
    if (compiler.pid) process.kill(-compiler.pid, 'SIGTERM');
  };

  const platform = await startPlatform({
    stateDir: path.join(repoRoot, '.x'),
    mysqlAdminUrl: process.env.MYSQL_ADMIN_URL ?? 'mysql://root@127.0.0.1:3306/mysql',
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    amqpUrl: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    watch: [target],
    report: say,
  }).catch((error: unknown) => {
    stopCompiler();
    throw error;
  });
  say(`ready: ${target} restarts on every change under its src/ (logs: ${path.join(platform.logDir, `${target}.log`)})`);
  say(`GraphQL at ${platform.urls.edge}/graphql; Ctrl-C stops everything`);

  const shutdown = async () => {
    stopCompiler();
    await platform.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

main().catch((error: unknown) => {
  process.stderr.write(`[x] could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
