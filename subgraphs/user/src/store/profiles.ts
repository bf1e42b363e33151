import { buildEvent, enqueueEvent, UserProfileUpdated } from '@x/kit';
import type { ProfilePatch } from '../domain/profile';
import type { Prisma, PrismaClient, Profile } from './generated/client';

export type { Profile };
export type Transaction = Prisma.TransactionClient;

/** Profiles by user id. A change and its event are written in one transaction (outbox). */
export class ProfileStore {
  constructor(
    private readonly db: PrismaClient,
    private readonly relay: { wake(): void },
  ) {}

  findByIds(ids: readonly string[]): Promise<Profile[]> {
    return this.db.profile.findMany({ where: { id: { in: [...ids] } } });
  }

  findById(id: string): Promise<Profile | null> {
    return this.db.profile.findUnique({ where: { id } });
  }

  async update(id: string, patch: ProfilePatch): Promise<Profile | null> {
    const updated = await this.db.$transaction(async (tx) => {
      const { count } = await tx.profile.updateMany({ where: { id }, data: patch });
      if (count === 0) return null;
      await enqueueEvent(tx, buildEvent(UserProfileUpdated, id, { userId: id, changed: Object.keys(patch).sort() }));
      return tx.profile.findUniqueOrThrow({ where: { id } });
    });
    if (updated) this.relay.wake();
    return updated;
  }

  /** Creates the profile unless it exists: a repeated registration event changes nothing. */
  async createIfAbsent(tx: Transaction, id: string, displayName: string): Promise<void> {
    await tx.profile.createMany({ data: [{ id, displayName }], skipDuplicates: true });
  }

  async erase(tx: Transaction, id: string): Promise<void> {
    await tx.profile.deleteMany({ where: { id } });
  }
}
