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
}

/** The inbox table of a MySQL service (`inbox`, unique on consumer + event_id), in the effect's transaction. */
export function sqlInbox<Tx extends SqlExecutor>(transaction: TransactionRunner<Tx>): Inbox<Tx> {
  return {
    handleOnce: (consumer, event, effect) =>
      transaction(async (tx) => {
        // INSERT IGNORE affects 0 rows on a duplicate key (whatever the driver's found-rows setting),
        // and a concurrent duplicate waits for the first transaction's lock instead of deadlocking.
        const inserted = await executeSql(tx, 'INSERT IGNORE INTO inbox (consumer, event_id, event_type) VALUES (?, ?, ?)', consumer, event.id, event.type);
        if (inserted === 0) return 'duplicate' as const;
        await effect(tx);
        return 'processed' as const;
      }),
  };
}
