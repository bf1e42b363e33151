import { loaderById, loaderOfLists, type GraphQLContext, type Principal } from '@x/kit';
import DataLoader from 'dataloader';
import type { Viewer } from '../domain/store';
import type { PageRequest, Store, StoreCategory, Stores, StoreStatusChange } from '../store/stores';

export interface CategoryPageKey {
  categoryId: string;
  page: PageRequest;
}

export interface StoreContext extends GraphQLContext {
  stores: Stores;
  viewer: Viewer;
  storeById: DataLoader<string, Store | null>;
  categoryLinksByStoreId: DataLoader<string, StoreCategory[]>;
  historyByStoreId: DataLoader<string, StoreStatusChange[]>;
  /** A page of stores per category; keys asking for the same page size and cursor share one window query. */
  storesByCategory: DataLoader<CategoryPageKey, Store[], string>;
}

export function viewerOf(principal: Principal | null): Viewer {
  if (!principal) return { kind: 'public' };
  return principal.roles.includes('hq_admin') ? { kind: 'hq_admin', userId: principal.userId } : { kind: 'member', userId: principal.userId };
}

/** Per-request loaders: however many stores, a fixed number of queries for their links, history and category pages. */
export function storeContext(stores: Stores) {
  return (base: GraphQLContext): StoreContext => {
    const viewer = viewerOf(base.principal);
    return {
      ...base,
      stores,
      viewer,
      storeById: loaderById((ids) => stores.findByIds(ids), (store) => store.id),
      categoryLinksByStoreId: loaderOfLists((ids) => stores.categoryLinksOf(ids), (link) => link.storeId),
      historyByStoreId: loaderOfLists((ids) => stores.historyOf(ids), (change) => change.storeId),
      storesByCategory: new DataLoader(
        async (keys: readonly CategoryPageKey[]) => {
          const groups = new Map<string, { page: PageRequest; categoryIds: Set<string> }>();
          for (const key of keys) {
            const pageKey = JSON.stringify(key.page);
            const group = groups.get(pageKey) ?? { page: key.page, categoryIds: new Set<string>() };
            group.categoryIds.add(key.categoryId);
            groups.set(pageKey, group);
          }
          const pages = new Map<string, Map<string, Store[]>>();
          for (const [pageKey, group] of groups) pages.set(pageKey, await stores.listByCategories(viewer, [...group.categoryIds], group.page));
          return keys.map((key) => pages.get(JSON.stringify(key.page))?.get(key.categoryId) ?? []);
        },
        { cacheKeyFn: (key) => JSON.stringify([key.categoryId, key.page]) },
      ),
    };
  };
}
