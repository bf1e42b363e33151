import type { EventEnvelope } from './envelope';
import { executeSql, type SqlExecutor, type TransactionRunner } from './sql';

export type InboxOutcome = 'processed' | 'duplicate';

/**
 * Where a consumer remembers the events it has handled. `handleOnce` applies `effect` and records
 * `(consumer, event.id)` atomically: both commit or neither does, and an event already recorded is
 * not applied again. A redelivery, even a concurrent one, is harmless.
 */
export interface Inbox<Tx> {
  handleOnce(consumer: string, event: EventEnvelope, effect: (tx: Tx) => Promise<void>): Promise<InboxOutcome>;
  /**
   * The same for several events in one transaction, in order: all commit or none does (a failing
   * effect rolls back the others too). The outcomes are in the events' order.
   */
  handleManyOnce?(consumer: string, items: readonly { event: EventEnvelope; effect: (tx: Tx) => Promise<void> }[]): Promise<InboxOutcome[]>;
}

/** The inbox table of a MySQL service (`inbox`, unique on consumer + event_id), in the effect's transaction. */
export function sqlInbox<Tx extends SqlExecutor>(transaction: TransactionRunner<Tx>): Inbox<Tx> {
  // INSERT IGNORE affects 0 rows on a duplicate key (whatever the driver's found-rows setting), and a
  // concurrent duplicate waits for the first transaction's lock instead of deadlocking.
  const once = async (tx: Tx, consumer: string, event: EventEnvelope, effect: (tx: Tx) => Promise<void>): Promise<InboxOutcome> => {
    const inserted = await executeSql(tx, 'INSERT IGNORE INTO inbox (consumer, event_id, event_type) VALUES (?, ?, ?)', consumer, event.id, event.type);
    if (inserted === 0) return 'duplicate';
    await effect(tx);
    return 'processed';
  };
  return {
    handleOnce: (consumer, event, effect) => transaction((tx) => once(tx, consumer, event, effect)),
    handleManyOnce: (consumer, items) =>
      transaction(async (tx) => {
        const outcomes: InboxOutcome[] = [];
        for (const { event, effect } of items) outcomes.push(await once(tx, consumer, event, effect));
        return outcomes;
      }),
  };
}
