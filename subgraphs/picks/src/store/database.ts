import { Prisma, type PrismaClient } from './generated/client';

export type Transaction = Prisma.TransactionClient;
export type { PrismaClient };

/** Transactions that wait on row locks get more room than Prisma's 5 s default before they are aborted. */
export const lockingTransaction = { maxWait: 10_000, timeout: 15_000 } as const;

/** Whatever the driver hands back for an integer or boolean column (number, bigint or boolean) as a number. */
export const asNumber = (value: unknown): number => Number(value);

export const inList = (values: readonly string[]) => Prisma.join(values.map((value) => Prisma.sql`${value}`));
