import { buildEvent, enqueueEvent, UserProfileUpdated } from '@x/kit';
import type { Selectable } from 'kysely';
import type { ProfilePatch } from '../domain/profile';
import type { Database, Transaction } from './database';
import type { Profile as ProfileTable } from './generated/tables';

export type Profile = Selectable<ProfileTable>;

/** Profiles by user id. A change and its event are written in one transaction (outbox). */
export class ProfileStore {
  constructor(
    private readonly db: Database,
    private readonly relay: { wake(): void },
  ) {}

  async findByIds(ids: readonly string[]): Promise<Profile[]> {
    if (ids.length === 0) return [];
    return this.db.selectFrom('profiles').selectAll().where('id', 'in', ids).execute();
  }

  async findById(id: string): Promise<Profile | null> {
    return (await this.db.selectFrom('profiles').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
  }

  async update(id: string, patch: ProfilePatch): Promise<Profile | null> {
    const updated = await this.db.transaction().execute(async (tx) => {
      const { numUpdatedRows } = await tx
        .updateTable('profiles')
        .set({ ...patch, updatedAt: new Date() })
        .where('id', '=', id)
        .executeTakeFirst();
      if (numUpdatedRows === 0n) return null;
      await enqueueEvent(tx, buildEvent(UserProfileUpdated, id, { userId: id, changed: Object.keys(patch).sort() }));
      return tx.selectFrom('profiles').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    });
    if (updated) this.relay.wake();
    return updated;
  }

  /** Creates the profile unless it exists: a repeated registration event changes nothing. */
  async createIfAbsent(tx: Transaction, id: string, displayName: string): Promise<void> {
    const now = new Date();
    await tx.insertInto('profiles').ignore().values({ id, displayName, createdAt: now, updatedAt: now }).execute();
  }

  async erase(tx: Transaction, id: string): Promise<void> {
    await tx.deleteFrom('profiles').where('id', '=', id).execute();
  }
}
