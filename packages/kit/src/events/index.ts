export { connectBroker, type Broker, type BrokerOptions } from './broker';
export {
  PermanentEventError,
  consumerQueueName,
  deadLetterQueueName,
  on,
  startConsumer,
  type Consumer,
  type ConsumerOptions,
  type InboxConsumerOptions,
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
export { subscriptionsFor } from './subscriptions';
export { buildEvent, defineEvent, envelopeSchema, keptDataSchema, withoutPersonalData, type EventData, type EventDefinition, type EventEnvelope } from './envelope';
export type { Inbox, InboxOutcome } from './inbox';
export {
  OutboxRelay,
  enqueueEvent,
  type OutboxRelayOptions,
  type OutboxStore,
  type OutboxStoreRelayOptions,
  type PendingEvent,
  type PublishOutcome,
} from './outbox';
export { executeSql, prismaRelayDatabase, querySql, relayDatabase, type KyselyExecutor, type PrismaDatabase, type PrismaExecutor, type RelayDatabase, type SqlExecutor, type TransactionRunner } from './sql';
export * from './contracts';
export { applySnapshot, supersedes, type SnapshotRow, type SnapshotVersion } from './snapshots';
