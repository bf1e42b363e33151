import { loaderById, type GraphQLContext } from '@x/kit';
import DataLoader from 'dataloader';
import { viewerOf, type StoreFacts, type Viewer } from '../domain/access';
import type { Pick, PicksPageArgs } from '../domain/pick';
import type { PickStore } from '../store/picks';
import type { StoreDirectory } from '../store/stores';

/** One store's page request; stores asked with the same page arguments share one query. */
export interface StorePageRequest {
  storeId: string;
  page: PicksPageArgs;
  after: readonly [string, string] | null;
}

export interface PicksContext extends GraphQLContext {
  viewer: Viewer;
  picks: PickStore;
  pickById: DataLoader<string, Pick | null>;
  storeById: DataLoader<string, StoreFacts | null>;
  storePages: DataLoader<StorePageRequest, Pick[], string>;
}

export function picksContext(picks: PickStore, stores: StoreDirectory) {
  return (base: GraphQLContext): PicksContext => {
    const viewer = viewerOf(base.principal);
    return {
      ...base,
      viewer,
      picks,
      pickById: loaderById((ids) => picks.findByIds(ids), (pick) => pick.id),
      storeById: loaderById((ids) => stores.findByIds(ids), (store) => store.id),
      storePages: new DataLoader<StorePageRequest, Pick[], string>(
        async (requests) => {
          const groups = new Map<string, StorePageRequest[]>();
          for (const request of requests) {
            const key = pageKey(request);
            groups.set(key, [...(groups.get(key) ?? []), request]);
          }
          const pages = new Map<string, Pick[]>();
          for (const [key, group] of groups) {
            const { page, after } = group[0]!;
            const byStore = await picks.pagesForStores([...new Set(group.map((request) => request.storeId))], page, after, viewer);
            for (const [storeId, list] of byStore) pages.set(`${storeId}|${key}`, list);
          }
          return requests.map((request) => pages.get(`${request.storeId}|${pageKey(request)}`) ?? []);
        },
        { cacheKeyFn: (request) => `${request.storeId}|${pageKey(request)}` },
      ),
    };
  };
}

const pageKey = (request: StorePageRequest): string => JSON.stringify([request.page, request.after]);
