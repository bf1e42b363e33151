import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot, startPlatform } from './platform';

/** `npm start -- --gateway-replicas 2` (or GATEWAY_REPLICAS=2): that many gateways behind the edge. */
function gatewayReplicas(): number {
  const { values } = parseArgs({ options: { 'gateway-replicas': { type: 'string' } }, strict: false });
  const given = values['gateway-replicas'] ?? process.env.GATEWAY_REPLICAS ?? '1';
  const replicas = Number(given);
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 16) throw new Error(`--gateway-replicas / GATEWAY_REPLICAS: ${String(given)} is not a whole number from 1 to 16`);
  return replicas;
}

/** `npm start`: the whole platform on this machine, until Ctrl-C. */
async function main(): Promise<void> {
  const started = Date.now();
  const replicas = gatewayReplicas();
  const say = (line: string) => process.stdout.write(`[x] ${line}\n`);
  const stateDir = path.join(repoRoot, '.x');
  say('starting X');
  const platform = await startPlatform({
    stateDir,
    mysqlAdminUrl: process.env.MYSQL_ADMIN_URL ?? 'mysql://root@127.0.0.1:3306/mysql',
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    amqpUrl: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    gatewayReplicas: replicas,
    report: say,
  });

  say(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  say('');
  say(`  GraphQL (edge)    ${platform.urls.edge}/graphql`);
  say(`  auth REST         ${platform.urls.edge}/auth   (register, login, refresh, logout, jwks)`);
  say(`  user REST         ${platform.urls.edge}/user/me`);
  say(`  Apollo Sandbox    ${platform.urls.gateway}/  (open in a browser)`);
  if (replicas > 1) say(`  gateway replicas  ${platform.urls.gatewayReplicas.join('  ')}  (balanced by the edge)`);
  for (const [name, url] of Object.entries(platform.urls.services)) say(`  ${name.padEnd(17)} ${url}/graphql  ${url}/ready  ${url}/metrics`);
  say(`  logs              ${path.relative(process.cwd(), platform.logDir)}/<process>.log`);
  say(`  first hq_admin    ${platform.hqAdmin.email} / ${platform.hqAdmin.password}  (from .x/secrets.json)`);
  say('');
  say('Ctrl-C stops everything');

  let stopping = false;
  const shutdown = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    await platform.stop();
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

main().catch((error: unknown) => {
  process.stderr.write(`[x] could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
