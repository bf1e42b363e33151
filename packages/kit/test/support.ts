// Helpers for the kit's event integration tests: real RabbitMQ and MariaDB, never mocks.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { connect, type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { createLogger } from '../src/logger';

export const amqpUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
export const migrationsDir = path.join(__dirname, 'prisma', 'migrations');
export const testLog = createLogger('kit-events-test', process.env.TEST_LOG_LEVEL ?? 'silent');

/** A per-file exchange name, so test files never see each other's events. */
export function uniqueExchange(label: string): string {
  return `t.${label}.${randomBytes(4).toString('hex')}`;
}

/** Retries an assertion until it passes or the deadline passes (then throws its last error). */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 10_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/** A plain amqplib connection the tests observe and clean up with, independent of the code under test. */
export class AmqpProbe {
  private constructor(
    readonly connection: ChannelModel,
    readonly channel: Channel,
  ) {}

  static async open(): Promise<AmqpProbe> {
    const connection = await connect(amqpUrl, { noDelay: true });
    const channel = await connection.createChannel();
    return new AmqpProbe(connection, channel);
  }

  /** Collects every message routed by `exchange` with `pattern` into a server-named exclusive queue. */
  async collect(exchange: string, pattern = '#'): Promise<ConsumeMessage[]> {
    const received: ConsumeMessage[] = [];
    const { queue } = await this.channel.assertQueue('', { exclusive: true, autoDelete: true });
    await this.channel.bindQueue(queue, exchange, pattern);
    await this.channel.consume(queue, (message) => message && received.push(message), { noAck: true });
    return received;
  }

  async messageCount(queue: string): Promise<number> {
    return (await this.channel.checkQueue(queue)).messageCount;
  }

  async deleteTopology(exchange: string, queues: string[]): Promise<void> {
    for (const queue of [...queues, `${exchange}.unrouted`]) await this.channel.deleteQueue(queue);
    await this.channel.deleteExchange(exchange);
    await this.channel.deleteExchange(`${exchange}.unrouted`);
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}

/**
 * A TCP forwarder to RabbitMQ: taking it down cuts every connection through it and refuses new ones,
 * which is how a broker outage looks to a client, without disturbing anything else on the broker.
 */
export class BrokerOutageProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  private constructor(readonly port: number) {}

  static async start(): Promise<BrokerOutageProxy> {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const proxy = new BrokerOutageProxy(port);
    await proxy.up();
    return proxy;
  }

  get url(): string {
    const target = new URL(amqpUrl);
    target.host = `127.0.0.1:${this.port}`;
    return target.toString();
  }

  async up(): Promise<void> {
    const target = new URL(amqpUrl);
    const server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 5672), target.hostname);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
