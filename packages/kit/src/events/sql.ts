/**
 * The slice of a Prisma client (or of its interactive-transaction client) the event machinery needs,
 * so the kit works with every service's generated client without depending on any of them.
 */
export interface SqlExecutor {
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

/**
 * A service's Prisma client, as the outbox relay uses it: the relay runs its own transaction at READ
 * COMMITTED (see sqlOutbox).
 */
export interface SqlDatabase extends SqlExecutor {
  $transaction<R>(work: (tx: SqlExecutor) => Promise<R>, options: { isolationLevel: 'ReadCommitted'; maxWait?: number; timeout?: number }): Promise<R>;
}

/** Runs `work` in one transaction; services pass `(work) => prisma.$transaction(work)`. */
export type TransactionRunner<Tx extends SqlExecutor = SqlExecutor> = <R>(work: (tx: Tx) => Promise<R>) => Promise<R>;
