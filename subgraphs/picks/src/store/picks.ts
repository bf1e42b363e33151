import { randomUUID } from 'node:crypto';
import { buildEvent, enqueueEvent, PickCreated, PickDeleted, PickUpdated, type EventData } from '@x/kit';
import { z } from 'zod';
import type { Viewer } from '../domain/access';
import { changedFields, type NewPick, type Pick, type PickPatch, type PicksPageArgs } from '../domain/pick';
import { nextStockLevel } from '../domain/stock';
import { asNumber, inList, lockingTransaction, type PrismaClient, type Transaction } from './database';
import { Prisma, type Pick as PickRow } from './generated/client';

/** The sort key of Store.picks and of its cursors: name, then id. */
export const pickCursor = (pick: Pick): [string, string] => [pick.name, pick.id];

/** Picks and their events: every change and its event are written in one transaction (outbox). */
export class PickStore {
  constructor(
    private readonly db: PrismaClient,
    private readonly relay: { wake(): void },
  ) {}

  async findByIds(ids: readonly string[]): Promise<Pick[]> {
    const rows = await this.db.pick.findMany({ where: { id: { in: [...ids] }, deletedAt: null } });
    return rows.map(toPick);
  }

  async create(storeId: string, input: Omit<NewPick, 'storeId'>): Promise<Pick> {
    const id = randomUUID();
    const pick = await this.db.$transaction(async (tx) => {
      const row = await tx.pick.create({
        data: {
          id,
          storeId,
          name: input.name,
          description: input.description,
          priceMinor: input.price.amountMinor,
          currency: input.price.currency,
          stock: input.stock,
          available: input.available,
          images: JSON.stringify(input.images),
          tags: JSON.stringify(input.tags),
        },
      });
      const created = toPick(row);
      await enqueueEvent(tx, buildEvent(PickCreated, id, snapshotOf(created)));
      return created;
    });
    this.relay.wake();
    return pick;
  }

  /** Applies the patch; an event is written only when a field really changed. Null when there is no such pick. */
  async update(id: string, patch: PickPatch): Promise<Pick | null> {
    return this.changeLocked(id, async (tx) => {
      const row = await tx.pick.update({
        where: { id },
        data: {
          name: patch.name,
          description: patch.description,
          priceMinor: patch.price?.amountMinor,
          currency: patch.price?.currency,
          available: patch.available,
          images: patch.images && JSON.stringify(patch.images),
          tags: patch.tags && JSON.stringify(patch.tags),
        },
      });
      return toPick(row);
    });
  }

  async setStock(id: string, stock: number): Promise<Pick | null> {
    return this.changeStock(id, { set: stock });
  }

  async adjustStock(id: string, delta: number): Promise<Pick | null> {
    return this.changeStock(id, { delta });
  }

  /** Soft delete: the row stays for the reservations that point at it. False when there is no such pick. */
  async remove(id: string, deletedBy: string): Promise<boolean> {
    const removed = await this.db.$transaction(async (tx) => {
      const row = await tx.pick.findFirst({ where: { id, deletedAt: null }, select: { storeId: true } });
      if (!row) return false;
      const { count } = await tx.pick.updateMany({ where: { id, deletedAt: null }, data: { deletedAt: new Date() } });
      if (count === 0) return false;
      await enqueueEvent(tx, buildEvent(PickDeleted, id, { pickId: id, storeId: row.storeId, deletedBy }));
      return true;
    });
    if (removed) this.relay.wake();
    return removed;
  }

  /**
   * One page of picks for each store, in two statements however many stores there are: a window
   * query ranks the visible picks per store, then the page rows are read by id. The viewer decides
   * visibility per store (its owner and hq_admin see everything; others the available picks of OPEN
   * stores). Each list holds up to `first + 1` picks; the extra one only says another page exists.
   */
  async pagesForStores(storeIds: readonly string[], page: PicksPageArgs, after: readonly [string, string] | null, viewer: Viewer): Promise<Map<string, Pick[]>> {
    const pages = new Map<string, Pick[]>(storeIds.map((id) => [id, []]));
    if (storeIds.length === 0) return pages;
    const conditions: Prisma.Sql[] = [Prisma.sql`p.store_id IN (${inList(storeIds)})`, Prisma.sql`p.deleted_at IS NULL`];
    const publicView = Prisma.sql`(s.status = 'OPEN' AND p.available = 1)`;
    if (!viewer.isHqAdmin) conditions.push(viewer.userId ? Prisma.sql`(s.owner_id = ${viewer.userId} OR ${publicView})` : publicView);
    const { filter } = page;
    if (filter.availableOnly) conditions.push(Prisma.sql`p.available = 1 AND p.stock > p.reserved`);
    if (filter.tag) conditions.push(Prisma.sql`JSON_CONTAINS(p.tags, JSON_QUOTE(${filter.tag}))`);
    if (filter.text) {
      // Plain LIKE within the store (its picks are found through the store_id index first), case- and
      // accent-insensitive through the column collation; % and _ in the text match themselves.
      const pattern = `%${filter.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      conditions.push(Prisma.sql`(p.name LIKE ${pattern} OR p.description LIKE ${pattern} OR p.tags LIKE ${pattern})`);
    }
    if (after) conditions.push(Prisma.sql`(p.name > ${after[0]} OR (p.name = ${after[0]} AND p.id > ${after[1]}))`);

    const ranked = await this.db.$queryRaw<{ id: string; pick_rank: unknown }[]>`
      SELECT id, pick_rank FROM (
        SELECT p.id, ROW_NUMBER() OVER (PARTITION BY p.store_id ORDER BY p.name, p.id) AS pick_rank
        FROM picks p JOIN stores s ON s.id = p.store_id
        WHERE ${Prisma.join(conditions, ' AND ')}
      ) ranked
      WHERE pick_rank <= ${page.first + 1}`;
    if (ranked.length === 0) return pages;

    const rankOf = new Map(ranked.map((row) => [row.id, asNumber(row.pick_rank)]));
    const rows = await this.db.pick.findMany({ where: { id: { in: [...rankOf.keys()] } } });
    rows.sort((a, b) => rankOf.get(a.id)! - rankOf.get(b.id)!);
    for (const row of rows) pages.get(row.storeId)?.push(toPick(row));
    return pages;
  }

  private async changeStock(id: string, change: { set: number } | { delta: number }): Promise<Pick | null> {
    return this.changeLocked(id, async (tx, before) => {
      const stock = nextStockLevel(before, change);
      return toPick(await tx.pick.update({ where: { id }, data: { stock } }));
    });
  }

  /**
   * Locks the pick's row (so a reservation in flight cannot interleave with the owner's change), applies
   * `change`, and writes picks.pick.updated naming the fields that changed.
   */
  private async changeLocked(id: string, change: (tx: Transaction, before: Pick) => Promise<Pick>): Promise<Pick | null> {
    const result = await this.db.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM picks WHERE id = ${id} AND deleted_at IS NULL FOR UPDATE`;
      if (locked.length === 0) return null;
      // Read after the lock: a locking read made no snapshot, so this sees the latest committed row.
      const before = toPick(await tx.pick.findUniqueOrThrow({ where: { id } }));
      const after = await change(tx, before);
      const changed = changedFields(before, after);
      if (changed.length > 0) await enqueueEvent(tx, buildEvent(PickUpdated, id, { ...snapshotOf(after), changed }));
      return { pick: after, changed: changed.length > 0 };
    }, lockingTransaction);
    if (result?.changed) this.relay.wake();
    return result?.pick ?? null;
  }
}

const stringList = z.array(z.string());

export function toPick(row: PickRow): Pick {
  return {
    id: row.id,
    storeId: row.storeId,
    name: row.name,
    description: row.description,
    priceMinor: row.priceMinor,
    currency: row.currency,
    stock: row.stock,
    reserved: row.reserved,
    available: row.available,
    images: stringList.parse(JSON.parse(row.images)),
    tags: stringList.parse(JSON.parse(row.tags)),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function snapshotOf(pick: Pick): EventData<typeof PickCreated> {
  return {
    pickId: pick.id,
    storeId: pick.storeId,
    name: pick.name,
    description: pick.description,
    priceMinor: pick.priceMinor,
    currency: pick.currency,
    stock: pick.stock,
    available: pick.available,
    images: pick.images,
    tags: pick.tags,
  };
}
