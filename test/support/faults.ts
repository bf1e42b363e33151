import { execFileSync } from 'node:child_process';

/**
 * Closes, from the broker's side, every AMQP connection a given process holds: the fault a broker
 * restart or a network cut causes, limited to our own processes so other users of the broker are
 * untouched. Sockets are found with `ss` by process id, connections with `rabbitmqctl`.
 */
export function closeBrokerConnectionsOf(pid: number): number {
  const sockets = execFileSync('ss', ['-tnpH', 'state', 'established', '( dport = :5672 )'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(`pid=${pid},`))
    .map((line) => line.trim().split(/\s+/)[2])
    .filter((address): address is string => Boolean(address));
  const connections = execFileSync('rabbitmqctl', ['-q', '--no-table-headers', 'list_connections', 'pid', 'name'], { encoding: 'utf8', timeout: 20_000 })
    .split('\n')
    .map((line) => line.split('\t'))
    .filter(([, name]) => sockets.some((address) => name?.startsWith(`${address} ->`)));
  for (const [connectionPid] of connections) {
    execFileSync('rabbitmqctl', ['-q', 'close_connection', connectionPid!, 'fault injected by test'], { timeout: 20_000 });
  }
  return connections.length;
}
