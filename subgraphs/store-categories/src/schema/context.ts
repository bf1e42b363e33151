import { loaderById, loaderOfLists, type GraphQLContext } from '@x/kit';
import DataLoader from 'dataloader';
import type { CategoryStoreCounts } from '../domain/store-projection';
import type { Category, CategoryStore } from '../store/categories';

export interface CategoriesContext extends GraphQLContext {
  categories: CategoryStore;
  categoryById: DataLoader<string, Category | null>;
  childrenByParentId: DataLoader<string, Category[]>;
  countsByCategoryId: DataLoader<string, CategoryStoreCounts>;
}

/** Per-request loaders: a list of categories with parents, children and counts costs one query per level. */
export function categoriesContext(categories: CategoryStore) {
  return (base: GraphQLContext): CategoriesContext => ({
    ...base,
    categories,
    categoryById: loaderById((ids) => categories.findByIds(ids), (category) => category.id),
    childrenByParentId: loaderOfLists((ids) => categories.childrenOf(ids), (category) => category.parentId ?? ''),
    countsByCategoryId: new DataLoader(async (ids: readonly string[]) => {
      const counts = await categories.storeCounts(ids);
      return ids.map((id) => counts.get(id) ?? { storeCount: 0, openStoreCount: 0, linkedStoreCount: 0 });
    }),
  });
}
