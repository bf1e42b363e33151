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
import { localWeekTime, openSegments, parseStoredOpeningHours } from '../domain/opening-hours';
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
import { Prisma, type PrismaClient, type Store, type StoreCategory, type StoreStatusChange } from './generated/client';

export type { Store, StoreCategory, StoreStatusChange };
export type Transaction = Prisma.TransactionClient;
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

const byNameThenId = [{ name: 'asc' }, { id: 'asc' }] satisfies Prisma.StoreOrderByWithRelationInput[];

export const statusOf = (store: Pick<Store, 'status'>): StoreStatus => storeStatusSchema.parse(store.status);

/**
 * Stores and their links. Every change writes its event in the same transaction (outbox) under the
 * store's row lock; categories are share-locked before stores everywhere, so a category deletion
 * and a store edit never wait on each other in opposite orders.
 */
export class Stores {
  constructor(
    private readonly db: PrismaClient,
    private readonly relay: { wake(): void },
    private readonly transitions: readonly StoreTransition[] = storeTransitions,
  ) {
    assertValidTransitionTable(transitions);
  }

  findByIds(ids: readonly string[]): Promise<Store[]> {
    return this.db.store.findMany({ where: { id: { in: [...ids] } } });
  }

  categoryLinksOf(storeIds: readonly string[]): Promise<StoreCategory[]> {
    return this.db.storeCategory.findMany({ where: { storeId: { in: [...storeIds] } }, orderBy: { categoryId: 'asc' } });
  }

  historyOf(storeIds: readonly string[]): Promise<StoreStatusChange[]> {
    return this.db.storeStatusChange.findMany({ where: { storeId: { in: [...storeIds] } }, orderBy: { id: 'asc' } });
  }

  listByOwner(ownerId: string): Promise<Store[]> {
    return this.db.store.findMany({ where: { ownerId }, orderBy: byNameThenId });
  }

  /** One page (plus one row, to tell whether another page follows) of the stores `viewer` may see, by name then id. */
  async list(viewer: Viewer, filter: StoreListFilter, page: PageRequest): Promise<Store[]> {
    const conditions: Prisma.StoreWhereInput[] = [visibleTo(viewer)];
    if (filter.city) conditions.push({ city: filter.city });
    if (filter.categoryId) conditions.push({ categories: { some: { categoryId: filter.categoryId } } });
    if (filter.text) {
      // Prisma passes `contains` into LIKE as it is: the caller's % and _ must match themselves.
      const text = filter.text.replace(/[\\%_]/g, (character) => `\\${character}`);
      conditions.push({ OR: [{ name: { contains: text } }, { description: { contains: text } }] });
    }
    if (typeof filter.openNow === 'boolean') conditions.push(await this.openAtCondition(filter.at, filter.openNow));
    if (page.after) conditions.push(afterCursor(page.after));
    return this.db.store.findMany({ where: { AND: conditions }, orderBy: byNameThenId, take: page.first + 1 });
  }

  /**
   * The first page of stores under each of many categories, in two statements whatever their number:
   * a window query ranks each category's visible stores, then the stores are read by id.
   */
  async listByCategories(viewer: Viewer, categoryIds: readonly string[], page: PageRequest): Promise<Map<string, Store[]>> {
    const visible =
      viewer.kind === 'hq_admin'
        ? Prisma.sql`1 = 1`
        : viewer.kind === 'member'
          ? Prisma.sql`(s.status IN (${Prisma.join(publicStatuses)}) OR s.owner_id = ${viewer.userId})`
          : Prisma.sql`s.status IN (${Prisma.join(publicStatuses)})`;
    const after = page.after ? Prisma.sql`(s.name > ${page.after[0]} OR (s.name = ${page.after[0]} AND s.id > ${page.after[1]}))` : Prisma.sql`1 = 1`;
    const ranked = await this.db.$queryRaw<{ category_id: string; store_id: string }[]>`
      SELECT category_id, store_id FROM (
        SELECT l.category_id, l.store_id, ROW_NUMBER() OVER (PARTITION BY l.category_id ORDER BY s.name, s.id) AS rank_in_category
        FROM store_categories l JOIN stores s ON s.id = l.store_id
        WHERE l.category_id IN (${Prisma.join([...categoryIds])}) AND ${visible} AND ${after}
      ) ranked
      WHERE rank_in_category <= ${page.first + 1}
      ORDER BY category_id, rank_in_category`;
    const stores = ranked.length === 0 ? [] : await this.findByIds([...new Set(ranked.map((row) => row.store_id))]);
    const byId = new Map(stores.map((store) => [store.id, store]));
    const result = new Map<string, Store[]>(categoryIds.map((id) => [id, []]));
    for (const row of ranked) {
      const store = byId.get(row.store_id);
      if (store) result.get(row.category_id)?.push(store);
    }
    return result;
  }

  async create(ownerId: string, input: CreateStoreInput): Promise<Store> {
    return this.write(async (tx) => {
      await requireKnownCategories(tx, input.categoryIds);
      const id = randomUUID();
      const store = await tx.store.create({
        data: {
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
          categories: { createMany: { data: input.categoryIds.map((categoryId) => ({ categoryId })) } },
          openSegments: { createMany: { data: openSegments(input.openingHours) } },
          statusHistory: { create: { transition: 'create', fromStatus: null, toStatus: initialStoreStatus, actorId: ownerId } },
        },
      });
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
        await tx.storeCategory.deleteMany({ where: { storeId } });
        await tx.storeCategory.createMany({ data: patch.categoryIds.map((categoryId) => ({ storeId, categoryId })) });
      }
      if (patch.openingHours && changed.includes('openingHours')) {
        await tx.storeOpenSegment.deleteMany({ where: { storeId } });
        await tx.storeOpenSegment.createMany({ data: openSegments(patch.openingHours).map((segment) => ({ storeId, ...segment })) });
      }
      const store = await tx.store.update({
        where: { id: storeId },
        data: {
          ...(patch.name === undefined ? {} : { name: patch.name }),
          ...(patch.description === undefined ? {} : { description: patch.description }),
          ...(patch.city === undefined ? {} : { city: patch.city }),
          ...(patch.location === undefined ? {} : { lat: patch.location.lat, lng: patch.location.lng }),
          ...(patch.timeZone === undefined ? {} : { timeZone: patch.timeZone }),
          ...(patch.openingHours === undefined ? {} : { openingHours: JSON.stringify(patch.openingHours) }),
          revision: { increment: 1 },
        },
      });
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
      const store = await tx.store.update({
        where: { id: storeId },
        data: {
          status: transition.to,
          revision: { increment: 1 },
          statusHistory: { create: { transition: transition.name, fromStatus: previousStatus, toStatus: transition.to, actorId: caller.userId, reason } },
        },
      });
      const categoryIds = current.categories.map((link) => link.categoryId).sort();
      await enqueueEvent(tx, buildEvent(StoreStatusChanged, storeId, { ...snapshotOf(store, categoryIds), previousStatus, changedBy: caller.userId, reason }));
      return store;
    });
  }

  /** Projection: records a created or updated category, unless a newer event or its deletion came first. */
  async rememberCategory(tx: Transaction, category: CategorySnapshot, eventTime: Date): Promise<void> {
    const held = await lockCategory(tx, category.categoryId, category, eventTime);
    if (held.deletedAt !== null || held.lastEventAt > eventTime) return;
    await tx.knownCategory.update({
      where: { id: category.categoryId },
      data: { slug: category.slug, name: category.name, parentId: category.parentId, lastEventAt: eventTime },
    });
  }

  /**
   * Projection: a deleted category can no longer be linked. store-categories deletes only unused
   * categories, but a store may have linked it in the moment before this event; such links are
   * removed here, each with its StoreUpdated, so every projection of the store follows.
   */
  async forgetCategory(tx: Transaction, categoryId: string, eventTime: Date): Promise<void> {
    const held = await lockCategory(tx, categoryId, { slug: '', name: '', parentId: null }, eventTime);
    if (held.deletedAt === null) await tx.knownCategory.update({ where: { id: categoryId }, data: { deletedAt: eventTime, lastEventAt: eventTime } });
    const links = await tx.storeCategory.findMany({ where: { categoryId }, orderBy: { storeId: 'asc' } });
    for (const { storeId } of links) {
      const current = await lockStore(tx, storeId);
      const previousCategoryIds = current.categories.map((link) => link.categoryId).sort();
      await tx.storeCategory.delete({ where: { storeId_categoryId: { storeId, categoryId } } });
      const store = await tx.store.update({ where: { id: storeId }, data: { revision: { increment: 1 } } });
      const categoryIds = previousCategoryIds.filter((id) => id !== categoryId);
      await enqueueEvent(tx, buildEvent(StoreUpdated, storeId, { ...snapshotOf(store, categoryIds), changed: ['categoryIds'], previousCategoryIds }));
    }
  }

  /** Stores open (or closed) at `at`: each zone's local weekday and minute, matched against the open segments. */
  private async openAtCondition(at: Date, open: boolean): Promise<Prisma.StoreWhereInput> {
    const zones = await this.db.$queryRaw<{ time_zone: string }[]>`SELECT DISTINCT time_zone FROM stores`;
    const byLocalTime = new Map<string, { weekday: number; minute: number; zones: string[] }>();
    for (const { time_zone: zone } of zones) {
      const local = localWeekTime(zone, at);
      const key = `${local.weekday}:${local.minute}`;
      const group = byLocalTime.get(key) ?? { ...local, zones: [] };
      group.zones.push(zone);
      byLocalTime.set(key, group);
    }
    const openNow: Prisma.StoreWhereInput = {
      OR: [...byLocalTime.values()].map((group) => ({
        timeZone: { in: group.zones },
        openSegments: { some: { weekday: group.weekday, startMinute: { lte: group.minute }, endMinute: { gt: group.minute } } },
      })),
    };
    if (byLocalTime.size === 0) return open ? { id: { in: [] } } : {};
    return open ? openNow : { NOT: openNow };
  }

  private async write<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    const result = await this.db.$transaction(work);
    this.relay.wake();
    return result;
  }
}

function visibleTo(viewer: Viewer): Prisma.StoreWhereInput {
  if (viewer.kind === 'hq_admin') return {};
  const listed: Prisma.StoreWhereInput = { status: { in: [...publicStatuses] } };
  return viewer.kind === 'member' ? { OR: [listed, { ownerId: viewer.userId }] } : listed;
}

function afterCursor([name, id]: readonly [string, string]): Prisma.StoreWhereInput {
  return { OR: [{ name: { gt: name } }, { name, id: { gt: id } }] };
}

/** Every id must be a category store-categories announced and has not deleted; share-locked until commit. */
async function requireKnownCategories(tx: Transaction, categoryIds: readonly string[]): Promise<void> {
  const ids = [...new Set(categoryIds)].sort();
  const known = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM categories WHERE id IN (${Prisma.join(ids)}) AND deleted_at IS NULL ORDER BY id LOCK IN SHARE MODE`;
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
  const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM stores WHERE id = ${storeId} FOR UPDATE`;
  if (locked.length === 0) throw notFound('no such store');
  return tx.store.findUniqueOrThrow({ where: { id: storeId }, include: { categories: true } });
}

/** The projected category row, created if absent (as of this event) and locked for the rest of the transaction. */
async function lockCategory(
  tx: Transaction,
  categoryId: string,
  initial: Pick<CategorySnapshot, 'slug' | 'name' | 'parentId'>,
  eventTime: Date,
): Promise<{ deletedAt: Date | null; lastEventAt: Date }> {
  const inserted = await tx.$executeRaw`INSERT IGNORE INTO categories (id, slug, name, parent_id, deleted_at, last_event_at) VALUES (${categoryId}, ${initial.slug}, ${initial.name}, ${initial.parentId}, NULL, ${eventTime})`;
  const [row] = await tx.$queryRaw<{ deleted_at: Date | null; last_event_at: Date }[]>`SELECT deleted_at, last_event_at FROM categories WHERE id = ${categoryId} FOR UPDATE`;
  if (!row) throw new Error(`category ${categoryId} vanished inside its own transaction`);
  // A row this event just inserted is already up to date; an older one is compared by event time.
  return inserted === 1 ? { deletedAt: row.deleted_at, lastEventAt: new Date(0) } : { deletedAt: row.deleted_at, lastEventAt: row.last_event_at };
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
