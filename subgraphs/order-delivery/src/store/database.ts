import type { Prisma } from './generated/client';

export { Prisma, PrismaClient } from './generated/client';
export type Transaction = Prisma.TransactionClient;
