import { randomUUID } from 'node:crypto';
import {
  badInput,
  buildEvent,
  type CategoryCreated,
  enqueueEvent,
  forbidden,
  notFound,
  StoreCreated,
  StoreStatusChanged,
  StoreUpdated,
  storeStatusSchema,
  type EventData,
  type StoreStatus,
} from '@x/kit';
import { localWeekTime, openSegments, parseStoredOpeningHours, type OpeningHours } from '../domain/opening-hours';
import { changedFields, publicStatuses, type CreateStoreInput, type StorePatch, type Viewer } from '../domain/store';
import {
  assertValidTransitionTable,
  decideTransition,
  initialStoreStatus,
  storeTransitions,
  type StoreTransition,
  type StoreTransitionName,
  type TransitionCaller,
} from '../domain/store-status';
import { sql, type Expression, type Selectable, type SqlBool } from 'kysely';
import type { Database, Transaction } from './database';
import type { Store as StoreTable, StoreCategory as StoreCategoryTable, StoreStatusChange as StoreStatusChangeTable } from './generated/tables';

export type Store = Selectable<StoreTable>;
export type StoreCategory = Selectable<StoreCategoryTable>;
export type StoreStatusChange = Selectable<StoreStatusChangeTable>;
type StoreSnapshot = EventData<typeof StoreCreated>;
type CategorySnapshot = EventData<typeof CategoryCreated>;

export interface StoreListFilter {
  city?: string | null;
  categoryId?: string | null;
  text?: string | null;
  /** true: only stores open at `at`; false: only stores closed then; absent: both. */
  openNow?: boolean | null;
  at: Date;
}

/** A page request: `after` is the (name, id) of the last store of the previous page. */
export interface PageRequest {
  first: number;
  after: readonly [string, string] | null;
}

type StoreWithCategories = Store & { categories: StoreCategory[] };

/** The zones whose local weekday and minute are the same at a given instant. */
interface LocalTimeGroup {
  weekday: number;
  minute: number;
  zones: string[];
}

export const statusOf = (store: Pick<Store, 'status'>): StoreStatus => storeStatusSchema.parse(store.status);

/**
 * Stores and their links. Every change writes its event in the same transaction (outbox) under the
 * store's row lock; categories are share-locked before stores everywhere, so a category deletion
 * and a store edit never wait on each other in opposite orders.
 */
export class Stores {
  constructor(
    private readonly db: Database,
    private readonly relay: { wake(): void },
    private readonly transitions: readonly StoreTransition[] = storeTransitions,
  ) {
    assertValidTransitionTable(transitions);
  }

  async findByIds(ids: readonly string[]): Promise<Store[]> {
    if (ids.length === 0) return [];
    return this.db.selectFrom('stores').selectAll().where('id', 'in', ids).execute();
  }

  async categoryLinksOf(storeIds: readonly string[]): Promise<StoreCategory[]> {
    if (storeIds.length === 0) return [];
    return this.db.selectFrom('storeCategories').selectAll().where('storeId', 'in', storeIds).orderBy('categoryId').execute();
  }

  async historyOf(storeIds: readonly string[]): Promise<StoreStatusChange[]> {
    if (storeIds.length === 0) return [];
    return this.db.selectFrom('storeStatusChanges').selectAll().where('storeId', 'in', storeIds).orderBy('id').execute();
  }

  listByOwner(ownerId: string): Promise<Store[]> {
    return this.db.selectFrom('stores').selectAll().where('ownerId', '=', ownerId).orderBy('name').orderBy('id').execute();
  }

  /** One page (plus one row, to tell whether another page follows) of the stores `viewer` may see, by name then id. */
  async list(viewer: Viewer, filter: StoreListFilter, page: PageRequest): Promise<Store[]> {
    const localTimes = typeof filter.openNow === 'boolean' ? await this.localTimesOfZones(filter.at) : [];
    return this.db
      .selectFrom('stores as s')
      .selectAll()
      .where((eb) => {
        const conditions: Expression<SqlBool>[] = [];
        const visible = visibleTo(viewer);
        if (visible) conditions.push(visible);
        if (filter.city) conditions.push(eb('s.city', '=', filter.city));
        if (filter.categoryId) conditions.push(eb('s.id', 'in', eb.selectFrom('storeCategories').select('storeId').where('categoryId', '=', filter.categoryId)));
        if (filter.text) {
          // LIKE takes the text as a pattern: the caller's % and _ must match themselves.
          const pattern = `%${filter.text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
          conditions.push(eb.or([eb('s.name', 'like', pattern), eb('s.description', 'like', pattern)]));
        }
        if (typeof filter.openNow === 'boolean') {
          // Open: in one of the zones of a local time, with a segment of that weekday covering that minute.
          const openNow = eb.or(
            localTimes.map((group) =>
              eb.and([
                eb('s.timeZone', 'in', group.zones),
                eb.exists(
                  eb
                    .selectFrom('storeOpenSegments as o')
                    .select('o.storeId')
                    .whereRef('o.storeId', '=', 's.id')
                    .where('o.weekday', '=', group.weekday)
                    .where('o.startMinute', '<=', group.minute)
                    .where('o.endMinute', '>', group.minute),
                ),
              ]),
            ),
          );
          if (localTimes.length === 0) conditions.push(eb.lit(!filter.openNow));
          else conditions.push(filter.openNow ? openNow : eb.not(openNow));
        }
        if (page.after) conditions.push(afterCursor(page.after));
        return eb.and(conditions);
      })
      .orderBy('s.name')
      .orderBy('s.id')
      .limit(page.first + 1)
      .execute();
  }

  /**
   * The first page of stores under each of many categories, in two statements whatever their number:
   * a window query ranks each category's visible stores, then the stores are read by id.
   */
  async listByCategories(viewer: Viewer, categoryIds: readonly string[], page: PageRequest): Promise<Map<string, Store[]>> {
    const result = new Map<string, Store[]>(categoryIds.map((id) => [id, []]));
    if (categoryIds.length === 0) return result;
    const ranked = await this.db
      .selectFrom((db) =>
        db
          .selectFrom('storeCategories as l')
          .innerJoin('stores as s', 's.id', 'l.storeId')
          .select(['l.categoryId', 'l.storeId', sql<number>`ROW_NUMBER() OVER (PARTITION BY l.category_id ORDER BY s.name, s.id)`.as('rankInCategory')])
          .where((eb) => {
            const conditions: Expression<SqlBool>[] = [eb('l.categoryId', 'in', categoryIds)];
            const visible = visibleTo(viewer);
            if (visible) conditions.push(visible);
            if (page.after) conditions.push(afterCursor(page.after));
            return eb.and(conditions);
          })
          .as('ranked'),
      )
      .select(['categoryId', 'storeId'])
      .where('rankInCategory', '<=', page.first + 1)
      .orderBy('categoryId')
      .orderBy('rankInCategory')
      .execute();
    const stores = ranked.length === 0 ? [] : await this.findByIds([...new Set(ranked.map((row) => row.storeId))]);
    const byId = new Map(stores.map((store) => [store.id, store]));
    for (const row of ranked) {
      const store = byId.get(row.storeId);
      if (store) result.get(row.categoryId)?.push(store);
    }
    return result;
  }

  async create(ownerId: string, input: CreateStoreInput): Promise<Store> {
    return this.write(async (tx) => {
      await requireKnownCategories(tx, input.categoryIds);
      const id = randomUUID();
      const now = new Date();
      const store: Store = {
        id,
        ownerId,
        name: input.name,
        description: input.description ?? null,
        status: initialStoreStatus,
        city: input.city,
        lat: input.location.lat,
        lng: input.location.lng,
        timeZone: input.timeZone,
        openingHours: JSON.stringify(input.openingHours),
        revision: 1,
        createdAt: now,
        updatedAt: now,
      };
      await tx.insertInto('stores').values(store).execute();
      await insertCategoryLinks(tx, id, input.categoryIds);
      await insertOpenSegments(tx, id, input.openingHours);
      await tx
        .insertInto('storeStatusChanges')
        .values({ storeId: id, transition: 'create', fromStatus: null, toStatus: initialStoreStatus, actorId: ownerId, createdAt: now })
        .execute();
      await enqueueEvent(tx, buildEvent(StoreCreated, id, snapshotOf(store, input.categoryIds)));
      return store;
    });
  }

  /** Applies the owner's edit; fields whose value does not change are not reported, and no change means no event. */
  async update(storeId: string, caller: { userId: string }, patch: StorePatch): Promise<Store> {
    return this.write(async (tx) => {
      if (patch.categoryIds) await requireKnownCategories(tx, patch.categoryIds);
      const current = await lockStore(tx, storeId);
      if (current.ownerId !== caller.userId) throw forbidden("only the store's owner can edit it");
      const previousCategoryIds = current.categories.map((link) => link.categoryId).sort();
      const before = {
        name: current.name,
        description: current.description,
        city: current.city,
        location: { lat: current.lat, lng: current.lng },
        categoryIds: previousCategoryIds,
        timeZone: current.timeZone,
        openingHours: parseStoredOpeningHours(current.openingHours),
      };
      const changed = changedFields(before, { ...patch, categoryIds: patch.categoryIds ? [...patch.categoryIds].sort() : undefined });
      if (changed.length === 0) return current;

      if (patch.categoryIds && changed.includes('categoryIds')) {
        await tx.deleteFrom('storeCategories').where('storeId', '=', storeId).execute();
        await insertCategoryLinks(tx, storeId, patch.categoryIds);
      }
      if (patch.openingHours && changed.includes('openingHours')) {
        await tx.deleteFrom('storeOpenSegments').where('storeId', '=', storeId).execute();
        await insertOpenSegments(tx, storeId, patch.openingHours);
      }
      const columns = {
        ...(patch.name === undefined ? {} : { name: patch.name }),
        ...(patch.description === undefined ? {} : { description: patch.description }),
        ...(patch.city === undefined ? {} : { city: patch.city }),
        ...(patch.location === undefined ? {} : { lat: patch.location.lat, lng: patch.location.lng }),
        ...(patch.timeZone === undefined ? {} : { timeZone: patch.timeZone }),
        ...(patch.openingHours === undefined ? {} : { openingHours: JSON.stringify(patch.openingHours) }),
      };
      const store = await bumpRevision(tx, current, columns);
      const categoryIds = patch.categoryIds ?? previousCategoryIds;
      await enqueueEvent(tx, buildEvent(StoreUpdated, storeId, { ...snapshotOf(store, categoryIds), changed, previousCategoryIds }));
      return store;
    });
  }

  /** Fires a status transition from the table: a history row and StoreStatusChanged with it, or a typed refusal. */
  async transition(storeId: string, name: StoreTransitionName, caller: TransitionCaller, reason: string | null): Promise<Store> {
    return this.write(async (tx) => {
      const current = await lockStore(tx, storeId);
      const previousStatus = statusOf(current);
      const transition = decideTransition(
        this.transitions,
        name,
        {
          status: previousStatus,
          ownerId: current.ownerId,
          categoryCount: current.categories.length,
          hasOpeningHours: parseStoredOpeningHours(current.openingHours).length > 0,
        },
        caller,
      );
      const store = await bumpRevision(tx, current, { status: transition.to });
      await tx
        .insertInto('storeStatusChanges')
        .values({ storeId, transition: transition.name, fromStatus: previousStatus, toStatus: transition.to, actorId: caller.userId, reason, createdAt: store.updatedAt })
        .execute();
      const categoryIds = current.categories.map((link) => link.categoryId).sort();
      await enqueueEvent(tx, buildEvent(StoreStatusChanged, storeId, { ...snapshotOf(store, categoryIds), previousStatus, changedBy: caller.userId, reason }));
      return store;
    });
  }

  /** Projection: records a created or updated category, unless a newer event or its deletion came first. */
  async rememberCategory(tx: Transaction, category: CategorySnapshot, eventTime: Date): Promise<void> {
    const held = await lockCategory(tx, category.categoryId, category, eventTime);
    if (held.deletedAt !== null || held.lastEventAt > eventTime) return;
    await tx
      .updateTable('categories')
      .set({ slug: category.slug, name: category.name, parentId: category.parentId, lastEventAt: eventTime })
      .where('id', '=', category.categoryId)
      .execute();
  }

  /**
   * Projection: a deleted category can no longer be linked. store-categories deletes only unused
   * categories, but a store may have linked it in the moment before this event; such links are
   * removed here, each with its StoreUpdated, so every projection of the store follows.
   */
  async forgetCategory(tx: Transaction, categoryId: string, eventTime: Date): Promise<void> {
    const held = await lockCategory(tx, categoryId, { slug: '', name: '', parentId: null }, eventTime);
    if (held.deletedAt === null) await tx.updateTable('categories').set({ deletedAt: eventTime, lastEventAt: eventTime }).where('id', '=', categoryId).execute();
    const links = await tx.selectFrom('storeCategories').select('storeId').where('categoryId', '=', categoryId).orderBy('storeId').execute();
    for (const { storeId } of links) {
      const current = await lockStore(tx, storeId);
      const previousCategoryIds = current.categories.map((link) => link.categoryId).sort();
      // An edit that committed before the lock may have unlinked it already: nothing left to change or announce.
      if (!previousCategoryIds.includes(categoryId)) continue;
      await tx.deleteFrom('storeCategories').where('storeId', '=', storeId).where('categoryId', '=', categoryId).execute();
      const store = await bumpRevision(tx, current, {});
      const categoryIds = previousCategoryIds.filter((id) => id !== categoryId);
      await enqueueEvent(tx, buildEvent(StoreUpdated, storeId, { ...snapshotOf(store, categoryIds), changed: ['categoryIds'], previousCategoryIds }));
    }
  }

  /** The stores' time zones grouped by their local weekday and minute at `at`. */
  private async localTimesOfZones(at: Date): Promise<LocalTimeGroup[]> {
    const zones = await this.db.selectFrom('stores').select('timeZone').distinct().execute();
    const byLocalTime = new Map<string, LocalTimeGroup>();
    for (const { timeZone: zone } of zones) {
      const local = localWeekTime(zone, at);
      const key = `${local.weekday}:${local.minute}`;
      const group = byLocalTime.get(key) ?? { ...local, zones: [] };
      group.zones.push(zone);
      byLocalTime.set(key, group);
    }
    return [...byLocalTime.values()];
  }

  private async write<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    const result = await this.db.transaction().execute(work);
    this.relay.wake();
    return result;
  }
}

// Both store listings read the stores table as `s`: these conditions are shared by them.

/** The stores `viewer` may see; null when that is every store. */
function visibleTo(viewer: Viewer): Expression<SqlBool> | null {
  if (viewer.kind === 'hq_admin') return null;
  const listed = sql<SqlBool>`s.status IN (${sql.join(publicStatuses)})`;
  return viewer.kind === 'member' ? sql<SqlBool>`(${listed} OR s.owner_id = ${viewer.userId})` : listed;
}

/** The stores after the cursor's (name, id), in name-then-id order. */
function afterCursor([name, id]: readonly [string, string]): Expression<SqlBool> {
  return sql<SqlBool>`(s.name > ${name} OR (s.name = ${name} AND s.id > ${id}))`;
}

/** Every id must be a category store-categories announced and has not deleted; share-locked until commit. */
async function requireKnownCategories(tx: Transaction, categoryIds: readonly string[]): Promise<void> {
  const ids = [...new Set(categoryIds)].sort();
  if (ids.length === 0) return;
  // MariaDB has no FOR SHARE.
  const known = await tx
    .selectFrom('categories')
    .select('id')
    .where('id', 'in', ids)
    .where('deletedAt', 'is', null)
    .orderBy('id')
    .modifyEnd(sql`LOCK IN SHARE MODE`)
    .execute();
  const found = new Set(known.map((row) => row.id));
  const unknown = ids.filter((id) => !found.has(id));
  if (unknown.length > 0) {
    throw badInput(`categoryIds: unknown categor${unknown.length === 1 ? 'y' : 'ies'} ${unknown.join(', ')}`, {
      fields: [{ field: 'categoryIds', message: 'unknown category' }],
      unknownCategoryIds: unknown,
    });
  }
}

async function lockStore(tx: Transaction, storeId: string): Promise<StoreWithCategories> {
  // A locking read makes no snapshot: it reads the latest committed row.
  const store = await tx.selectFrom('stores').selectAll().where('id', '=', storeId).forUpdate().executeTakeFirst();
  if (!store) throw notFound('no such store');
  const categories = await tx.selectFrom('storeCategories').selectAll().where('storeId', '=', storeId).execute();
  return { ...store, categories };
}

/** The store locked by lockStore with `columns` written, its revision bumped and updatedAt stamped; answers the row as it now is. */
async function bumpRevision(tx: Transaction, current: StoreWithCategories, columns: Partial<Omit<Store, 'id' | 'revision' | 'createdAt' | 'updatedAt'>>): Promise<Store> {
  const { categories: _links, ...before } = current;
  const updatedAt = new Date();
  await tx
    .updateTable('stores')
    .set((eb) => ({ ...columns, revision: eb('revision', '+', 1), updatedAt }))
    .where('id', '=', current.id)
    .execute();
  // The row lock held since lockStore makes the read revision the one just incremented.
  return { ...before, ...columns, revision: before.revision + 1, updatedAt };
}

async function insertCategoryLinks(tx: Transaction, storeId: string, categoryIds: readonly string[]): Promise<void> {
  if (categoryIds.length === 0) return;
  await tx
    .insertInto('storeCategories')
    .values(categoryIds.map((categoryId) => ({ storeId, categoryId })))
    .execute();
}

async function insertOpenSegments(tx: Transaction, storeId: string, hours: OpeningHours): Promise<void> {
  const segments = openSegments(hours);
  if (segments.length === 0) return;
  await tx
    .insertInto('storeOpenSegments')
    .values(segments.map((segment) => ({ storeId, ...segment })))
    .execute();
}

/** The projected category row, created if absent (as of this event) and locked for the rest of the transaction. */
async function lockCategory(
  tx: Transaction,
  categoryId: string,
  initial: Pick<CategorySnapshot, 'slug' | 'name' | 'parentId'>,
  eventTime: Date,
): Promise<{ deletedAt: Date | null; lastEventAt: Date }> {
  const inserted = await tx
    .insertInto('categories')
    .ignore()
    .values({ id: categoryId, slug: initial.slug, name: initial.name, parentId: initial.parentId, deletedAt: null, lastEventAt: eventTime })
    .executeTakeFirst();
  const row = await tx.selectFrom('categories').select(['deletedAt', 'lastEventAt']).where('id', '=', categoryId).forUpdate().executeTakeFirst();
  if (!row) throw new Error(`category ${categoryId} vanished inside its own transaction`);
  // A row this event just inserted is already up to date; an older one is compared by event time.
  return inserted.numInsertedOrUpdatedRows === 1n ? { deletedAt: row.deletedAt, lastEventAt: new Date(0) } : row;
}

function snapshotOf(store: Store, categoryIds: readonly string[]): StoreSnapshot {
  return {
    storeId: store.id,
    ownerId: store.ownerId,
    name: store.name,
    status: statusOf(store),
    categoryIds: [...categoryIds],
    city: store.city,
    location: { lat: store.lat, lng: store.lng },
    revision: store.revision,
  };
}
