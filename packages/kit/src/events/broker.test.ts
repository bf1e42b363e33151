import { AmqpProbe, BrokerOutageProxy, amqpUrl, testLog, uniqueExchange } from '../../test/support';
import { connectBroker } from './broker';

describe('connectBroker', () => {
  it('refuses to start when the events exchange exists with other arguments, instead of timing out every publish', async () => {
    const exchange = uniqueExchange('broker');
    const probe = await AmqpProbe.open();
    try {
      await probe.channel.assertExchange(exchange, 'topic', { durable: true });
      await expect(connectBroker({ url: amqpUrl, exchange, name: 'kit-broker-test', log: testLog })).rejects.toThrow(/could not declare the events exchange .*PRECONDITION/);
    } finally {
      await probe.deleteTopology(exchange, []);
      await probe.close();
    }
  });

  it('gives up on an unreachable broker after the connect timeout, naming the cause', async () => {
    const proxy = await BrokerOutageProxy.start();
    await proxy.down();
    await expect(connectBroker({ url: proxy.url, exchange: uniqueExchange('broker'), name: 'kit-broker-test', log: testLog, connectTimeoutMs: 300 })).rejects.toThrow(
      /could not connect to RabbitMQ at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:\d+ within 300 ms: connect ECONNREFUSED/,
    );
  });
});
