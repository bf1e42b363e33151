import amqp from 'amqplib';

const retryDelaysMs = [1000, 5000, 30000];

/** Deletes a test exchange and the queues the kit declared for it, so test runs leave nothing behind. */
export async function removeTestTopology(exchange: string, consumers: readonly string[], url = 'amqp://guest:guest@127.0.0.1:5672'): Promise<void> {
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createChannel();
    const queues = consumers.flatMap((consumer) => {
      const queue = `${exchange}.${consumer}`;
      return [queue, `${queue}.dlq`, ...retryDelaysMs.map((delay) => `${queue}.retry.${delay}`)];
    });
    for (const queue of [...queues, `${exchange}.unrouted`]) await channel.deleteQueue(queue);
    await channel.deleteExchange(exchange);
    await channel.deleteExchange(`${exchange}.unrouted`);
    await channel.close();
  } finally {
    await connection.close();
  }
}
