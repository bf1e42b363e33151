import type { Kysely, Transaction as KyselyTransaction } from 'kysely';
import type { DB } from './generated/tables';

/** store-categories' database through the kit's SQL layer, typed by the tables generated from schema.prisma. */
export type Database = Kysely<DB>;
export type Transaction = KyselyTransaction<DB>;
