import { randomUUID } from 'node:crypto';
import { buildEvent, enqueueEvent, PickCreated, PickDeleted, PickUpdated, type EventData } from '@x/kit';
import { z } from 'zod';
import type { Viewer } from '../domain/access';
import { changedFields, type NewPick, type Pick, type PickPatch, type PicksPageArgs } from '../domain/pick';
import { nextStockLevel } from '../domain/stock';
import { sql, type Expression, type Selectable, type SqlBool } from 'kysely';
import type { Database, Transaction } from './database';
import type { Pick as PickTable } from './generated/tables';

type PickRow = Selectable<PickTable>;

/** The sort key of Store.picks and of its cursors: name, then id. */
export const pickCursor = (pick: Pick): [string, string] => [pick.name, pick.id];

/** Picks and their events: every change and its event are written in one transaction (outbox). */
export class PickStore {
  constructor(
    private readonly db: Database,
    private readonly relay: { wake(): void },
  ) {}

  async findByIds(ids: readonly string[]): Promise<Pick[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.selectFrom('picks').selectAll().where('id', 'in', ids).where('deletedAt', 'is', null).execute();
    return rows.map(toPick);
  }

  async create(storeId: string, input: Omit<NewPick, 'storeId'>): Promise<Pick> {
    const id = randomUUID();
    const pick = await this.db.transaction().execute(async (tx) => {
      const now = new Date();
      const row: PickRow = {
        id,
        storeId,
        name: input.name,
        description: input.description,
        priceMinor: input.price.amountMinor,
        currency: input.price.currency,
        stock: input.stock,
        reserved: 0,
        available: input.available,
        images: JSON.stringify(input.images),
        tags: JSON.stringify(input.tags),
        createdAt: now,
        updatedAt: now,
        deletedAt: null,
      };
      await tx.insertInto('picks').values(row).execute();
      const created = toPick(row);
      await enqueueEvent(tx, buildEvent(PickCreated, id, snapshotOf(created)));
      return created;
    });
    this.relay.wake();
    return pick;
  }

  /** Applies the patch; an event is written only when a field really changed. Null when there is no such pick. */
  async update(id: string, patch: PickPatch): Promise<Pick | null> {
    return this.changeLocked(id, (tx) =>
      this.write(tx, id, {
        name: patch.name,
        description: patch.description,
        priceMinor: patch.price?.amountMinor,
        currency: patch.price?.currency,
        available: patch.available,
        images: patch.images && JSON.stringify(patch.images),
        tags: patch.tags && JSON.stringify(patch.tags),
      }),
    );
  }

  async setStock(id: string, stock: number): Promise<Pick | null> {
    return this.changeStock(id, { set: stock });
  }

  async adjustStock(id: string, delta: number): Promise<Pick | null> {
    return this.changeStock(id, { delta });
  }

  /** Soft delete: the row stays for the reservations that point at it. False when there is no such pick. */
  async remove(id: string, deletedBy: string): Promise<boolean> {
    const removed = await this.db.transaction().execute(async (tx) => {
      const row = await tx.selectFrom('picks').select('storeId').where('id', '=', id).where('deletedAt', 'is', null).executeTakeFirst();
      if (!row) return false;
      const { numUpdatedRows } = await tx
        .updateTable('picks')
        .set({ deletedAt: new Date(), updatedAt: new Date() })
        .where('id', '=', id)
        .where('deletedAt', 'is', null)
        .executeTakeFirst();
      if (numUpdatedRows === 0n) return false;
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
    const { filter } = page;
    const ranked = await this.db
      .selectFrom((db) =>
        db
          .selectFrom('picks as p')
          .innerJoin('stores as s', 's.id', 'p.storeId')
          .select(['p.id', sql<number>`ROW_NUMBER() OVER (PARTITION BY p.store_id ORDER BY p.name, p.id)`.as('pickRank')])
          .where((eb) => {
            const conditions: Expression<SqlBool>[] = [eb('p.storeId', 'in', storeIds), eb('p.deletedAt', 'is', null)];
            const publicView = eb.and([eb('s.status', '=', 'OPEN'), eb('p.available', '=', true)]);
            if (!viewer.isHqAdmin) conditions.push(viewer.userId ? eb.or([eb('s.ownerId', '=', viewer.userId), publicView]) : publicView);
            if (filter.availableOnly) conditions.push(eb.and([eb('p.available', '=', true), eb('p.stock', '>', eb.ref('p.reserved'))]));
            if (filter.tag) conditions.push(sql<SqlBool>`JSON_CONTAINS(p.tags, JSON_QUOTE(${filter.tag}))`);
            if (filter.text) {
              // Plain LIKE within the store (its picks are found through the store_id index first), case- and
              // accent-insensitive through the column collation; % and _ in the text match themselves.
              const pattern = `%${filter.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
              conditions.push(eb.or([eb('p.name', 'like', pattern), eb('p.description', 'like', pattern), eb('p.tags', 'like', pattern)]));
            }
            if (after) conditions.push(eb.or([eb('p.name', '>', after[0]), eb.and([eb('p.name', '=', after[0]), eb('p.id', '>', after[1])])]));
            return eb.and(conditions);
          })
          .as('ranked'),
      )
      .select(['id', 'pickRank'])
      .where('pickRank', '<=', page.first + 1)
      .execute();
    if (ranked.length === 0) return pages;

    const rankOf = new Map(ranked.map((row) => [row.id, Number(row.pickRank)]));
    const rows = await this.db.selectFrom('picks').selectAll().where('id', 'in', [...rankOf.keys()]).execute();
    rows.sort((a, b) => rankOf.get(a.id)! - rankOf.get(b.id)!);
    for (const row of rows) pages.get(row.storeId)?.push(toPick(row));
    return pages;
  }

  private async changeStock(id: string, change: { set: number } | { delta: number }): Promise<Pick | null> {
    return this.changeLocked(id, (tx, before) => this.write(tx, id, { stock: nextStockLevel(before, change) }));
  }

  /** Writes the given columns (undefined ones are left as they are) and reads the row back. */
  private async write(tx: Transaction, id: string, columns: Partial<Omit<PickRow, 'id' | 'storeId' | 'createdAt' | 'updatedAt'>>): Promise<Pick> {
    const set = Object.fromEntries(Object.entries(columns).filter(([, value]) => value !== undefined));
    await tx.updateTable('picks').set({ ...set, updatedAt: new Date() }).where('id', '=', id).execute();
    return toPick(await tx.selectFrom('picks').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
  }

  /**
   * Locks the pick's row (so a reservation in flight cannot interleave with the owner's change), applies
   * `change`, and writes picks.pick.updated naming the fields that changed.
   */
  private async changeLocked(id: string, change: (tx: Transaction, before: Pick) => Promise<Pick>): Promise<Pick | null> {
    const result = await this.db.transaction().execute(async (tx) => {
      // A locking read makes no snapshot: it reads the latest committed row.
      const locked = await tx.selectFrom('picks').selectAll().where('id', '=', id).where('deletedAt', 'is', null).forUpdate().executeTakeFirst();
      if (!locked) return null;
      const before = toPick(locked);
      const after = await change(tx, before);
      const changed = changedFields(before, after);
      if (changed.length > 0) await enqueueEvent(tx, buildEvent(PickUpdated, id, { ...snapshotOf(after), changed }));
      return { pick: after, changed: changed.length > 0 };
    });
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
