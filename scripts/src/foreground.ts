import path from 'node:path';
import { repoRoot, startPlatform, type RunningPlatform } from './platform';

export interface ForegroundOptions {
  /** Processes that restart when their compiled code changes (`npm run start:dev <name>`). */
  watch?: readonly string[];
  gatewayReplicas?: number;
  /** Runs after the platform stopped, before this process exits (start:dev stops its compiler). */
  afterStop?: () => void;
}

const say = (line: string) => process.stdout.write(`[x] ${line}\n`);

/**
 * What `npm start` and `npm run start:dev` share: the platform on this machine with its state in `.x/`,
 * the URLs and working credentials printed, until Ctrl-C or until a process dies.
 */
export async function runInForeground(options: ForegroundOptions): Promise<void> {
  const started = Date.now();
  say('starting X');
  const platform = await startPlatform({
    stateDir: path.join(repoRoot, '.x'),
    mysqlAdminUrl: process.env.MYSQL_ADMIN_URL ?? 'mysql://root@127.0.0.1:3306/mysql',
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    amqpUrl: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    gatewayReplicas: options.gatewayReplicas,
    watch: options.watch,
    report: say,
  }).catch((error: unknown) => {
    options.afterStop?.();
    throw error;
  });

  say(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  say('');
  say(`  GraphQL (edge)    ${platform.urls.edge}/graphql`);
  say(`  auth REST         ${platform.urls.edge}/auth   (register, login, refresh, logout, jwks)`);
  say(`  user REST         ${platform.urls.edge}/user/me`);
  say(`  Apollo Sandbox    ${platform.urls.gateway}/  (open in a browser)`);
  if (platform.urls.gatewayReplicas.length > 1) say(`  gateway replicas  ${platform.urls.gatewayReplicas.join('  ')}  (balanced by the edge)`);
  for (const [name, url] of Object.entries(platform.urls.services)) say(`  ${name.padEnd(17)} ${url}/graphql  ${url}/ready  ${url}/metrics`);
  say(`  logs              ${path.relative(process.cwd(), platform.logDir)}/<process>.log`);
  say(`  first hq_admin    ${await describeHqAdmin(platform)}`);
  for (const name of options.watch ?? []) say(`  watching          ${name}: restarts on every successful rebuild of its code (log: ${path.join(platform.logDir, `${name}.log`)})`);
  say('');
  say('Ctrl-C stops everything');

  let stopping = false;
  const shutdown = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    await platform.stop();
    options.afterStop?.();
    say('stopped');
    process.exit(exitCode);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  const died = await platform.exited;
  if (!stopping) {
    say(`${died.name} exited (code ${died.code ?? died.signal}); see ${path.join(platform.logDir, `${died.name}.log`)}`);
    await shutdown(1);
  }
}

/**
 * The credentials, checked by logging in with them: auth makes the configured password true for the
 * account the platform created, but an e-mail somebody else registered first, or an hq_admin under
 * another e-mail, leaves them unusable, and a person must read that here rather than find out.
 */
async function describeHqAdmin(platform: RunningPlatform): Promise<string> {
  const { email, password } = platform.hqAdmin;
  const credentials = `${email} / ${password}  (from .x/secrets.json)`;
  try {
    const response = await fetch(`${platform.urls.services.auth}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
      signal: AbortSignal.timeout(10_000),
    });
    if (response.ok) return `${credentials}, checked: they log in`;
    return `${credentials} DO NOT log in (${response.status}): see "first hq_admin" in ${path.join(platform.logDir, 'auth.log')}`;
  } catch (error) {
    return `${credentials}, not checked: ${error instanceof Error ? error.message : String(error)}`;
  }
}
