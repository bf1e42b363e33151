import { parseArgs } from 'node:util';
import { runInForeground } from './foreground';

/** `npm start -- --gateway-replicas 2` (or GATEWAY_REPLICAS=2): that many gateways behind the edge. */
function gatewayReplicas(): number {
  const { values } = parseArgs({ options: { 'gateway-replicas': { type: 'string' } }, strict: false });
  const given = values['gateway-replicas'] ?? process.env.GATEWAY_REPLICAS ?? '1';
  const replicas = Number(given);
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 16) throw new Error(`--gateway-replicas / GATEWAY_REPLICAS: ${String(given)} is not a whole number from 1 to 16`);
  return replicas;
}

/** `npm start`: the whole platform on this machine, until Ctrl-C. */
runInForeground({ gatewayReplicas: gatewayReplicas() }).catch((error: unknown) => {
  process.stderr.write(`[x] could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
