import { randomUUID } from 'node:crypto';
import {
  badInput,
  buildEvent,
  CategoryCreated,
  CategoryDeleted,
  CategoryUpdated,
  conflict,
  enqueueEvent,
  isUniqueViolation,
  notFound,
  type EventData,
  type StoreCreated,
} from '@x/kit';
import { deletionRefusal, slugify, wouldCreateCycle, type CategoryPatch, type CreateCategoryInput } from '../domain/category';
import { sql, type Selectable } from 'kysely';
import { countsFromStatuses, isNewerSnapshot, type CategoryStoreCounts } from '../domain/store-projection';
import type { Database, Transaction } from './database';
import type { Category as CategoryTable } from './generated/tables';

export type Category = Selectable<CategoryTable>;
export type StoreSnapshot = EventData<typeof StoreCreated>;

/**
 * The category tree and the per-category store counts. Every change and its event are written in one
 * transaction (outbox); tree moves lock the whole (small) tree so two concurrent moves cannot form a cycle.
 */
export class CategoryStore {
  constructor(
    private readonly db: Database,
    private readonly relay: { wake(): void },
  ) {}

  async findByIds(ids: readonly string[]): Promise<Category[]> {
    if (ids.length === 0) return [];
    return this.db.selectFrom('categories').selectAll().where('id', 'in', ids).execute();
  }

  async findBySlug(slug: string): Promise<Category | null> {
    return (await this.db.selectFrom('categories').selectAll().where('slug', '=', slug).executeTakeFirst()) ?? null;
  }

  /** Every category, by name: the flat list. */
  listAll(): Promise<Category[]> {
    return this.db.selectFrom('categories').selectAll().orderBy('name').orderBy('id').execute();
  }

  listRoots(): Promise<Category[]> {
    return this.db.selectFrom('categories').selectAll().where('parentId', 'is', null).orderBy('position').orderBy('name').orderBy('id').execute();
  }

  /** The children of many parents in one query, each parent's in position order. */
  async childrenOf(parentIds: readonly string[]): Promise<Category[]> {
    if (parentIds.length === 0) return [];
    return this.db.selectFrom('categories').selectAll().where('parentId', 'in', parentIds).orderBy('position').orderBy('name').orderBy('id').execute();
  }

  /** Store counts of many categories in one GROUP BY; a category nobody links to gets zeros. */
  async storeCounts(categoryIds: readonly string[]): Promise<Map<string, CategoryStoreCounts>> {
    const rows =
      categoryIds.length === 0
        ? []
        : await this.db
            .selectFrom('categoryStoreLinks')
            .select((eb) => ['categoryId', 'storeStatus', eb.fn.countAll<number>().as('stores')])
            .where('categoryId', 'in', categoryIds)
            .groupBy(['categoryId', 'storeStatus'])
            .execute();
    return new Map(
      categoryIds.map((id) => [
        id,
        countsFromStatuses(rows.filter((row) => row.categoryId === id).map((row) => ({ status: row.storeStatus, stores: Number(row.stores) }))),
      ]),
    );
  }

  async create(input: CreateCategoryInput): Promise<Category> {
    const slug = input.slug ?? slugify(input.name);
    if (slug === null) throw badInput('slug: the name has no letters or digits to make a slug from; give a slug', { fields: [{ field: 'slug', message: 'required for this name' }] });
    const parentId = input.parentId ?? null;
    return this.write(async (tx) => {
      if (parentId !== null) await this.lockExisting(tx, parentId, 'SHARE', () => badInput('parentId: no such category'));
      const position = input.position ?? (await this.nextPosition(tx, parentId));
      const now = new Date();
      const category: Category = { id: randomUUID(), name: input.name, slug, parentId, icon: input.icon ?? null, position, createdAt: now, updatedAt: now };
      await tx.insertInto('categories').values(category).execute();
      await enqueueEvent(tx, buildEvent(CategoryCreated, category.id, snapshotOf(category)));
      return category;
    }, slug);
  }

  /** Renames, re-slugs, re-icons or re-orders a category within its parent. */
  async update(id: string, patch: CategoryPatch): Promise<Category> {
    return this.write(async (tx) => {
      const before = await this.lockExisting(tx, id, 'UPDATE', () => notFound('no such category'));
      const category: Category = { ...before, ...definedFields(patch), updatedAt: new Date() };
      await tx
        .updateTable('categories')
        .set({ ...patch, updatedAt: category.updatedAt })
        .where('id', '=', id)
        .execute();
      await enqueueEvent(tx, buildEvent(CategoryUpdated, id, snapshotOf(category)));
      return category;
    }, patch.slug);
  }

  /** Hangs a category under another (or at the top level); refused when that would make a cycle. */
  async move(id: string, parentId: string | null, position: number | undefined): Promise<Category> {
    return this.write(async (tx) => {
      // The whole tree, locked: a concurrent move waits here and then sees this one's result.
      // Whole rows, so the moved category's snapshot is built from what this read returned.
      const tree = await tx.selectFrom('categories').selectAll().orderBy('id').forUpdate().execute();
      const parentOf = new Map(tree.map((row) => [row.id, row.parentId]));
      const before = tree.find((row) => row.id === id);
      if (!before) throw notFound('no such category');
      if (parentId !== null && !parentOf.has(parentId)) throw badInput('parentId: no such category');
      if (wouldCreateCycle(id, parentId, parentOf)) throw conflict('a category cannot move under itself or one of its own subcategories', { categoryId: id, parentId });
      const nextPosition = position ?? (before.parentId === parentId ? undefined : await this.nextPosition(tx, parentId));
      const category: Category = { ...before, parentId, position: nextPosition ?? before.position, updatedAt: new Date() };
      await tx
        .updateTable('categories')
        .set({ parentId, position: nextPosition, updatedAt: category.updatedAt })
        .where('id', '=', id)
        .execute();
      await enqueueEvent(tx, buildEvent(CategoryUpdated, id, snapshotOf(category)));
      return category;
    });
  }

  /** Deletes a category no store is linked to and that has no subcategories. */
  async delete(id: string): Promise<void> {
    await this.write(async (tx) => {
      await this.lockExisting(tx, id, 'UPDATE', () => notFound('no such category'));
      const usage = await tx
        .selectNoFrom((eb) => [
          eb.selectFrom('categories').select(eb.fn.countAll<number>().as('n')).where('parentId', '=', id).as('children'),
          eb.selectFrom('categoryStoreLinks').select(eb.fn.countAll<number>().as('n')).where('categoryId', '=', id).as('linkedStores'),
        ])
        .executeTakeFirstOrThrow();
      const children = Number(usage.children);
      const linkedStores = Number(usage.linkedStores);
      const refusal = deletionRefusal({ children, linkedStores });
      if (refusal !== null) throw conflict(`cannot delete the category: ${refusal}`, { children, linkedStores });
      await tx.deleteFrom('categories').where('id', '=', id).execute();
      await enqueueEvent(tx, buildEvent(CategoryDeleted, id, { categoryId: id }));
    });
  }

  /**
   * Projection of store events: replaces the store's links with the snapshot's categories and status.
   * Whole-snapshot replacement (not a diff against previousCategoryIds) makes a repeated or late event
   * harmless; the revision check drops a snapshot older than the one held. Returns whether it applied.
   */
  async applyStoreSnapshot(tx: Transaction, snapshot: StoreSnapshot): Promise<boolean> {
    const { storeId, status, revision } = snapshot;
    await tx.insertInto('projectedStores').ignore().values({ storeId, status, revision: 0, updatedAt: sql`NOW(3)` }).execute();
    const held = await tx.selectFrom('projectedStores').select('revision').where('storeId', '=', storeId).forUpdate().executeTakeFirst();
    if (!isNewerSnapshot(held?.revision ?? null, revision)) return false;
    // An undefined revision is left out of the SET: the one held stays.
    await tx.updateTable('projectedStores').set({ status, revision, updatedAt: sql`NOW(3)` }).where('storeId', '=', storeId).execute();
    await tx.deleteFrom('categoryStoreLinks').where('storeId', '=', storeId).execute();
    const categoryIds = [...new Set(snapshot.categoryIds)];
    if (categoryIds.length > 0) {
      await tx
        .insertInto('categoryStoreLinks')
        .values(categoryIds.map((categoryId) => ({ categoryId, storeId, storeStatus: status })))
        .execute();
    }
    return true;
  }

  /** Runs a change in one transaction, wakes the relay after commit, and turns a taken slug into CONFLICT. */
  private async write<T>(work: (tx: Transaction) => Promise<T>, slug?: string): Promise<T> {
    try {
      const result = await this.db.transaction().execute(work);
      this.relay.wake();
      return result;
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw conflict(`slug ${JSON.stringify(slug ?? '')} is taken by another category`, { field: 'slug' });
      }
      throw error;
    }
  }

  /** Locks the category's row and returns it as it is now (a locking read sees the latest commit). */
  private async lockExisting(tx: Transaction, id: string, mode: 'SHARE' | 'UPDATE', missing: () => Error): Promise<Category> {
    const query = tx.selectFrom('categories').selectAll().where('id', '=', id);
    // MariaDB has no FOR SHARE.
    const row = await (mode === 'SHARE' ? query.modifyEnd(sql`LOCK IN SHARE MODE`) : query.forUpdate()).executeTakeFirst();
    if (!row) throw missing();
    return row;
  }

  private async nextPosition(tx: Transaction, parentId: string | null): Promise<number> {
    const { highest } = await tx
      .selectFrom('categories')
      .select((eb) => eb.fn.max('position').as('highest'))
      .where((eb) => (parentId === null ? eb('parentId', 'is', null) : eb('parentId', '=', parentId)))
      .executeTakeFirstOrThrow();
    return highest === null ? 0 : highest + 1;
  }
}

/** The patch's fields that are set (an absent field leaves the column as it is). */
function definedFields<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function snapshotOf(category: Category): EventData<typeof CategoryCreated> {
  return { categoryId: category.id, slug: category.slug, name: category.name, parentId: category.parentId };
}
