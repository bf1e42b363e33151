import { supersedes } from '@x/kit';
import { statusSinceAfter } from '../domain/store-snapshot';
import type { StoreState } from './generated/client';
import type { PrismaClient, Transaction } from './database';

export type StoreStateRow = StoreState;

/** A store as one of its events describes it. */
export interface StoreSnapshot {
  storeId: string;
  ownerId: string;
  name: string;
  city: string;
  status: string;
  revision: number | null;
  /** The event's time. */
  at: Date;
}

export interface QueueCursor {
  statusSince: Date;
  storeId: string;
}

const pendingApproval = 'PENDING_APPROVAL';

/** Every store's latest known status, from store events; the approval queue is its PENDING_APPROVAL part. */
export class StoreStates {
  constructor(private readonly db: PrismaClient) {}

  /** Keeps the newer of the held and the incoming snapshot, under the row's lock. */
  async apply(tx: Transaction, snapshot: StoreSnapshot): Promise<void> {
    const [held] = await tx.$queryRaw<Pick<StoreStateRow, 'status' | 'revision' | 'statusSince' | 'snapshotAt'>[]>`
      SELECT status, revision, status_since AS statusSince, snapshot_at AS snapshotAt FROM store_states WHERE store_id = ${snapshot.storeId} FOR UPDATE`;
    const fields = {
      ownerId: snapshot.ownerId,
      name: snapshot.name,
      city: snapshot.city,
      status: snapshot.status,
      revision: snapshot.revision,
      statusSince: statusSinceAfter(held ?? null, snapshot),
      snapshotAt: snapshot.at,
    };
    // Two first events of one store at once can both find no row; the loser's duplicate key makes the
    // consumer retry it, and then it finds the row.
    if (!held) {
      await tx.storeState.create({ data: { storeId: snapshot.storeId, ...fields } });
      return;
    }
    if (!supersedes({ revision: snapshot.revision, at: snapshot.at }, { revision: held.revision, at: held.snapshotAt })) return;
    await tx.storeState.update({ where: { storeId: snapshot.storeId }, data: fields });
  }

  /** Stores waiting for an hq_admin's approval, longest waiting first; `take` rows at most. */
  approvalQueue(take: number, after?: QueueCursor): Promise<StoreStateRow[]> {
    return this.db.storeState.findMany({
      where: {
        status: pendingApproval,
        ...(after ? { OR: [{ statusSince: { gt: after.statusSince } }, { statusSince: after.statusSince, storeId: { gt: after.storeId } }] } : {}),
      },
      orderBy: [{ statusSince: 'asc' }, { storeId: 'asc' }],
      take,
    });
  }

  /** Empties the projection before a rebuild replays it. */
  async clear(): Promise<void> {
    await this.db.storeState.deleteMany({});
  }
}
