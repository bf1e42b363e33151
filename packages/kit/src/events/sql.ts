import { CompiledQuery, type Kysely, type QueryResult } from 'kysely';

/** A Kysely database or transaction (the kit's SQL layer, db/sql.ts). */
export interface KyselyExecutor {
  executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
}

/** A Prisma client or interactive-transaction client, for a service still on Prisma's client. */
export interface PrismaExecutor {
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

/** Where the event machinery runs its statements: the service's database or its open transaction. */
export type SqlExecutor = KyselyExecutor | PrismaExecutor;

const isKysely = (executor: SqlExecutor): executor is KyselyExecutor => 'executeQuery' in executor;

/** Runs a statement with `?` placeholders; resolves with the number of rows it affected. */
export async function executeSql(executor: SqlExecutor, statement: string, ...values: unknown[]): Promise<number> {
  if (!isKysely(executor)) return executor.$executeRawUnsafe(statement, ...values);
  const result = await executor.executeQuery(CompiledQuery.raw(statement, values));
  return Number(result.numAffectedRows ?? 0);
}

/** Runs a query with `?` placeholders; resolves with its rows (column names in camelCase on the SQL layer). */
export async function querySql<T>(executor: SqlExecutor, statement: string, ...values: unknown[]): Promise<T[]> {
  if (!isKysely(executor)) return executor.$queryRawUnsafe<T[]>(statement, ...values);
  const result = await executor.executeQuery(CompiledQuery.raw(statement, values) as CompiledQuery<T>);
  return [...result.rows];
}

/** The outbox relay's view of a service's database: its own transactions, and plain queries. */
export interface RelayDatabase {
  executor: SqlExecutor;
  transaction<R>(work: (tx: SqlExecutor) => Promise<R>): Promise<R>;
}

/** The relay's transactions on a service's Kysely database (sessions already run at READ COMMITTED). */
export function relayDatabase<DB>(db: Kysely<DB>): RelayDatabase {
  return { executor: db, transaction: (work) => db.transaction().execute(work) };
}

/** A Prisma client, for a service not yet on the kit's SQL layer: the relay runs its own transactions on it. */
export interface PrismaDatabase extends PrismaExecutor {
  $transaction<R>(work: (tx: PrismaExecutor) => Promise<R>, options: { isolationLevel: 'ReadCommitted'; maxWait?: number; timeout?: number }): Promise<R>;
}

/**
 * At READ COMMITTED (see sqlOutbox), and allowed to outlast a publish that waits its full confirm
 * timeout (Prisma ends an interactive transaction after 5 s by default).
 */
export function prismaRelayDatabase(db: PrismaDatabase, publishTimeoutMs = 3_000): RelayDatabase {
  return { executor: db, transaction: (work) => db.$transaction(work, { isolationLevel: 'ReadCommitted', timeout: publishTimeoutMs + 5_000 }) };
}

/** Runs `work` in one transaction; services hand the kit their database's transaction runner. */
export type TransactionRunner<Tx extends SqlExecutor = SqlExecutor> = <R>(work: (tx: Tx) => Promise<R>) => Promise<R>;
