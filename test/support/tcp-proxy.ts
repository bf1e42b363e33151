import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * What a cut does to connections opened while it lasts:
 * - `refuse`: each is reset as soon as it is accepted, as a server that is down (the client sees ECONNRESET);
 * - `blackhole`: each is accepted and then never answered, as a server that hangs or a network that
 *   drops packets (the client only learns of it through its own timeouts).
 */
export type CutMode = 'refuse' | 'blackhole';

export interface TcpProxy {
  /** `127.0.0.1:<port>`, where clients connect instead of the target. */
  readonly address: string;
  readonly port: number;
  /** Connections accepted, bridged to the target, refused and blackholed since the start. */
  readonly counts: { accepted: number; bridged: number; refused: number; blackholed: number };
  /** Destroys every live connection, and treats new ones as `mode` says until `restore()`. */
  cut(mode?: CutMode): void;
  /**
   * A network partition: live connections stay open but carry nothing either way (what is sent waits in
   * the socket buffers, as TCP retransmits), and new ones are blackholed, until `restore()`.
   */
  partition(): void;
  /**
   * Bridges new connections to the target again and lets partitioned ones carry what waited; connections
   * held by a blackhole are closed, as their client's or the kernel's timeout would close them.
   */
  restore(): void;
  close(): Promise<void>;
}

/** A TCP proxy to `target` (host:port) on a free loopback port, for fault tests that cut a dependency off. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  /** Bridged pairs, client side first. */
  const live = new Set<[Socket, Socket]>();
  const held = new Set<Socket>();
  let cutMode: CutMode | undefined;
  let partitioned = false;
  const counts = { accepted: 0, bridged: 0, refused: 0, blackholed: 0 };

  const server: Server = createServer((client) => {
    counts.accepted += 1;
    client.on('error', () => {});
    if (cutMode === 'refuse') {
      counts.refused += 1;
      client.resetAndDestroy();
      return;
    }
    if (cutMode === 'blackhole') {
      counts.blackholed += 1;
      held.add(client);
      // Read and drop what the client sends, so its writes succeed and it waits for answers that never come.
      client.on('data', () => {});
      client.once('close', () => held.delete(client));
      return;
    }
    counts.bridged += 1;
    const upstream = createConnection(target);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
    const pair: [Socket, Socket] = [client, upstream];
    live.add(pair);
    client.once('close', () => live.delete(pair));
    bridge(pair);
  });

  function bridge([client, upstream]: [Socket, Socket]): void {
    client.pipe(upstream);
    upstream.pipe(client);
  }

  function pause([client, upstream]: [Socket, Socket]): void {
    client.unpipe(upstream);
    upstream.unpipe(client);
    client.pause();
    upstream.pause();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('the proxy has no address');

  return {
    address: `127.0.0.1:${address.port}`,
    port: address.port,
    counts,
    cut(mode: CutMode = 'refuse') {
      cutMode = mode;
      partitioned = false;
      for (const pair of live) for (const socket of pair) socket.resetAndDestroy();
    },
    partition() {
      cutMode = 'blackhole';
      if (partitioned) return;
      partitioned = true;
      for (const pair of live) pause(pair);
    },
    restore() {
      cutMode = undefined;
      for (const socket of held) socket.destroy();
      if (!partitioned) return;
      partitioned = false;
      for (const pair of live) bridge(pair);
    },
    async close() {
      for (const socket of [...[...live].flat(), ...held]) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
