export { connectBroker, type Broker, type BrokerOptions } from './broker';
export {
  PermanentEventError,
  consumerQueueName,
  deadLetterQueueName,
  on,
  startConsumer,
  type Consumer,
  type ConsumerOptions,
  type Subscription,
} from './consumer';
export {
  countDeadLetters,
  listDeadLetters,
  purgeDeadLetters,
  replayAllDeadLetters,
  replayDeadLetter,
  type AmqpSource,
  type DeadLetter,
} from './dead-letters';
export { buildEvent, defineEvent, envelopeSchema, type EventData, type EventDefinition, type EventEnvelope } from './envelope';
export { OutboxRelay, enqueueEvent, type OutboxRelayOptions } from './outbox';
export type { SqlExecutor, TransactionRunner } from './sql';
export * from './contracts';
