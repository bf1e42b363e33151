/**
 * The slice of a Prisma client (or of its interactive-transaction client) the event machinery needs,
 * so the kit works with every service's generated client without depending on any of them.
 */
export interface SqlExecutor {
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

/** Runs `work` in one transaction; services pass `(work) => prisma.$transaction(work)`. */
export type TransactionRunner<Tx extends SqlExecutor = SqlExecutor> = <R>(work: (tx: Tx) => Promise<R>) => Promise<R>;
