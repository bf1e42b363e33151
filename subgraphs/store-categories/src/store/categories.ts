import { randomUUID } from 'node:crypto';
import { badInput, buildEvent, CategoryCreated, CategoryDeleted, CategoryUpdated, conflict, enqueueEvent, notFound, type EventData, type StoreCreated } from '@x/kit';
import { deletionRefusal, slugify, wouldCreateCycle, type CategoryPatch, type CreateCategoryInput } from '../domain/category';
import { countsFromStatuses, isNewerSnapshot, type CategoryStoreCounts } from '../domain/store-projection';
import { Prisma, type Category, type PrismaClient } from './generated/client';

export type { Category };
export type Transaction = Prisma.TransactionClient;
export type StoreSnapshot = EventData<typeof StoreCreated>;

const siblingOrder = [{ position: 'asc' }, { name: 'asc' }, { id: 'asc' }] satisfies Prisma.CategoryOrderByWithRelationInput[];

/**
 * The category tree and the per-category store counts. Every change and its event are written in one
 * transaction (outbox); tree moves lock the whole (small) tree so two concurrent moves cannot form a cycle.
 */
export class CategoryStore {
  constructor(
    private readonly db: PrismaClient,
    private readonly relay: { wake(): void },
  ) {}

  findByIds(ids: readonly string[]): Promise<Category[]> {
    return this.db.category.findMany({ where: { id: { in: [...ids] } } });
  }

  findBySlug(slug: string): Promise<Category | null> {
    return this.db.category.findUnique({ where: { slug } });
  }

  /** Every category, by name: the flat list. */
  listAll(): Promise<Category[]> {
    return this.db.category.findMany({ orderBy: [{ name: 'asc' }, { id: 'asc' }] });
  }

  listRoots(): Promise<Category[]> {
    return this.db.category.findMany({ where: { parentId: null }, orderBy: siblingOrder });
  }

  /** The children of many parents in one query, each parent's in position order. */
  childrenOf(parentIds: readonly string[]): Promise<Category[]> {
    return this.db.category.findMany({ where: { parentId: { in: [...parentIds] } }, orderBy: siblingOrder });
  }

  /** Store counts of many categories in one GROUP BY; a category nobody links to gets zeros. */
  async storeCounts(categoryIds: readonly string[]): Promise<Map<string, CategoryStoreCounts>> {
    const rows = await this.db.categoryStoreLink.groupBy({
      by: ['categoryId', 'storeStatus'],
      where: { categoryId: { in: [...categoryIds] } },
      _count: { _all: true },
    });
    return new Map(
      categoryIds.map((id) => [
        id,
        countsFromStatuses(rows.filter((row) => row.categoryId === id).map((row) => ({ status: row.storeStatus, stores: row._count._all }))),
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
      const category = await tx.category.create({ data: { id: randomUUID(), name: input.name, slug, parentId, icon: input.icon ?? null, position } });
      await enqueueEvent(tx, buildEvent(CategoryCreated, category.id, snapshotOf(category)));
      return category;
    }, slug);
  }

  /** Renames, re-slugs, re-icons or re-orders a category within its parent. */
  async update(id: string, patch: CategoryPatch): Promise<Category> {
    return this.write(async (tx) => {
      await this.lockExisting(tx, id, 'UPDATE', () => notFound('no such category'));
      const category = await tx.category.update({ where: { id }, data: patch });
      await enqueueEvent(tx, buildEvent(CategoryUpdated, id, snapshotOf(category)));
      return category;
    }, patch.slug);
  }

  /** Hangs a category under another (or at the top level); refused when that would make a cycle. */
  async move(id: string, parentId: string | null, position: number | undefined): Promise<Category> {
    return this.write(async (tx) => {
      // The whole tree, locked: a concurrent move waits here and then sees this one's result.
      const tree = await tx.$queryRaw<{ id: string; parent_id: string | null }[]>`SELECT id, parent_id FROM categories ORDER BY id FOR UPDATE`;
      const parentOf = new Map(tree.map((row) => [row.id, row.parent_id]));
      if (!parentOf.has(id)) throw notFound('no such category');
      if (parentId !== null && !parentOf.has(parentId)) throw badInput('parentId: no such category');
      if (wouldCreateCycle(id, parentId, parentOf)) throw conflict('a category cannot move under itself or one of its own subcategories', { categoryId: id, parentId });
      const nextPosition = position ?? (parentOf.get(id) === parentId ? undefined : await this.nextPosition(tx, parentId));
      const category = await tx.category.update({ where: { id }, data: { parentId, ...(nextPosition === undefined ? {} : { position: nextPosition }) } });
      await enqueueEvent(tx, buildEvent(CategoryUpdated, id, snapshotOf(category)));
      return category;
    });
  }

  /** Deletes a category no store is linked to and that has no subcategories. */
  async delete(id: string): Promise<void> {
    await this.write(async (tx) => {
      await this.lockExisting(tx, id, 'UPDATE', () => notFound('no such category'));
      const children = await tx.category.count({ where: { parentId: id } });
      const linkedStores = await tx.categoryStoreLink.count({ where: { categoryId: id } });
      const refusal = deletionRefusal({ children, linkedStores });
      if (refusal !== null) throw conflict(`cannot delete the category: ${refusal}`, { children, linkedStores });
      await tx.category.delete({ where: { id } });
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
    await tx.$executeRaw`INSERT IGNORE INTO projected_stores (store_id, status, revision, updated_at) VALUES (${storeId}, ${status}, 0, NOW(3))`;
    const [held] = await tx.$queryRaw<{ revision: number }[]>`SELECT revision FROM projected_stores WHERE store_id = ${storeId} FOR UPDATE`;
    if (!isNewerSnapshot(held?.revision ?? null, revision)) return false;
    await tx.projectedStore.update({ where: { storeId }, data: { status, ...(revision === undefined ? {} : { revision }) } });
    await tx.categoryStoreLink.deleteMany({ where: { storeId } });
    await tx.categoryStoreLink.createMany({ data: [...new Set(snapshot.categoryIds)].map((categoryId) => ({ categoryId, storeId, storeStatus: status })) });
    return true;
  }

  /** Runs a change in one transaction, wakes the relay after commit, and turns a taken slug into CONFLICT. */
  private async write<T>(work: (tx: Transaction) => Promise<T>, slug?: string): Promise<T> {
    try {
      const result = await this.db.$transaction(work);
      this.relay.wake();
      return result;
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        throw conflict(`slug ${JSON.stringify(slug ?? '')} is taken by another category`, { field: 'slug' });
      }
      throw error;
    }
  }

  private async lockExisting(tx: Transaction, id: string, mode: 'SHARE' | 'UPDATE', missing: () => Error): Promise<void> {
    const rows =
      mode === 'SHARE'
        ? await tx.$queryRaw<{ id: string }[]>`SELECT id FROM categories WHERE id = ${id} LOCK IN SHARE MODE`
        : await tx.$queryRaw<{ id: string }[]>`SELECT id FROM categories WHERE id = ${id} FOR UPDATE`;
    if (rows.length === 0) throw missing();
  }

  private async nextPosition(tx: Transaction, parentId: string | null): Promise<number> {
    const { _max } = await tx.category.aggregate({ where: { parentId }, _max: { position: true } });
    return _max.position === null ? 0 : _max.position + 1;
  }
}

function snapshotOf(category: Category): EventData<typeof CategoryCreated> {
  return { categoryId: category.id, slug: category.slug, name: category.name, parentId: category.parentId };
}
