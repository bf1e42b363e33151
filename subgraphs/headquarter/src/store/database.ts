import { Prisma, type PrismaClient } from './generated/client';

export type Transaction = Prisma.TransactionClient;
export type { PrismaClient };
