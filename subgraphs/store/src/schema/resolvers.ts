import path from 'node:path';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import { connectionFrom, DateTimeScalar, decodeCursor, loadTypeDefs, pageArgs, parseInput, requirePrincipal, requireRole, type Connection } from '@x/kit';
import { z } from 'zod';
import { isOpenAt, parseStoredOpeningHours, type OpeningHours } from '../domain/opening-hours';
import { canSee, citySchema, createStoreSchema, updateStoreSchema } from '../domain/store';
import type { StoreTransitionName } from '../domain/store-status';
import { statusOf, type PageRequest, type Store, type StoreStatusChange } from '../store/stores';
import type { StoreContext } from './context';

export const typeDefs = loadTypeDefs(path.resolve(__dirname, '../../src/schema/schema.graphql'));

const maxPageSize = 50;
const storeId = z.uuid('must be a store id (UUID)');
const cursorShape = z.tuple([z.string(), z.uuid()]);
const pageSchema = pageArgs({ max: maxPageSize, fallback: 20 });
const storeArgs = z.object({ id: storeId });
const storesArgs = pageSchema.extend({
  filter: z
    .object({
      city: citySchema.nullish(),
      categoryId: z.uuid('categoryId must be a category id (UUID)').nullish(),
      openNow: z.boolean().nullish(),
      at: z.date().nullish(),
      text: z.string().trim().min(1, 'text must not be empty').max(100, 'text is at most 100 characters').nullish(),
    })
    .nullish(),
});
const createArgs = z.object({ input: createStoreSchema });
const updateArgs = z.object({ id: storeId, input: updateStoreSchema });
const reasonSchema = z.string().trim().min(1, 'reason must not be empty').max(500, 'reason is at most 500 characters');
const optionalReasonArgs = z.object({ id: storeId, reason: reasonSchema.nullish() });
const requiredReasonArgs = z.object({ id: storeId, reason: reasonSchema });
const isOpenNowArgs = z.object({ at: z.date().nullish() });

interface Reference {
  id: string;
}

function pageOf({ first, after }: { first: number; after?: string | null }): PageRequest {
  return { first, after: after ? decodeCursor(after, cursorShape) : null };
}

const storeConnection = (rows: Store[], first: number): Connection<Store> => connectionFrom(rows, first, (store) => [store.name, store.id]);

/** A status mutation: thin, the table in domain/store-status.ts decides. */
function transitionResolver(name: StoreTransitionName, args: z.ZodType<{ id: string; reason?: string | null }>) {
  return (_root: unknown, raw: unknown, context: StoreContext): Promise<Store> => {
    const caller = requirePrincipal(context.principal);
    const { id, reason } = parseInput(args, raw);
    return context.stores.transition(id, name, { userId: caller.userId, isHqAdmin: caller.roles.includes('hq_admin') }, reason ?? null);
  };
}

export const resolvers: GraphQLResolverMap<StoreContext> = {
  DateTime: DateTimeScalar,
  Query: {
    store: async (_root, args: unknown, context: StoreContext): Promise<Store | null> => {
      const { id } = parseInput(storeArgs, args);
      const store = await context.storeById.load(id);
      return store && canSee(context.viewer, { status: statusOf(store), ownerId: store.ownerId }) ? store : null;
    },
    stores: async (_root, args: unknown, context: StoreContext): Promise<Connection<Store>> => {
      const { filter, ...paging } = parseInput(storesArgs, args);
      const page = pageOf(paging);
      const rows = await context.stores.list(context.viewer, { ...filter, at: filter?.at ?? new Date() }, page);
      return storeConnection(rows, page.first);
    },
    myStores: (_root, _args, context: StoreContext): Promise<Store[]> => {
      const caller = requireRole(context.principal, 'store_owner');
      return context.stores.listByOwner(caller.userId);
    },
  },
  Mutation: {
    createStore: (_root, args: unknown, context: StoreContext): Promise<Store> => {
      const caller = requireRole(context.principal, 'store_owner');
      const { input } = parseInput(createArgs, args);
      return context.stores.create(caller.userId, input);
    },
    updateStore: (_root, args: unknown, context: StoreContext): Promise<Store> => {
      const caller = requirePrincipal(context.principal);
      const { id, input } = parseInput(updateArgs, args);
      return context.stores.update(id, caller, input);
    },
    approveStore: transitionResolver('approve', optionalReasonArgs),
    closeStore: transitionResolver('close', optionalReasonArgs),
    reopenStore: transitionResolver('reopen', optionalReasonArgs),
    suspendStore: transitionResolver('suspend', requiredReasonArgs),
    reinstateStore: transitionResolver('reinstate', optionalReasonArgs),
  },
  Store: {
    __resolveReference: async (reference: Reference, context: StoreContext): Promise<Store | null> => {
      const store = await context.storeById.load(reference.id);
      return store && canSee(context.viewer, { status: statusOf(store), ownerId: store.ownerId }) ? store : null;
    },
    status: (store: Store) => statusOf(store),
    location: (store: Store) => ({ lat: store.lat, lng: store.lng }),
    openingHours: (store: Store): OpeningHours => parseStoredOpeningHours(store.openingHours),
    isOpenNow: (store: Store, args: unknown): boolean => {
      const { at } = parseInput(isOpenNowArgs, args);
      return isOpenAt(parseStoredOpeningHours(store.openingHours), store.timeZone, at ?? new Date());
    },
    owner: (store: Store): Reference => ({ id: store.ownerId }),
    categories: async (store: Store, _args, context: StoreContext): Promise<Reference[]> =>
      (await context.categoryLinksByStoreId.load(store.id)).map((link) => ({ id: link.categoryId })),
    statusHistory: async (store: Store, _args, context: StoreContext) => {
      const { viewer } = context;
      const privileged = viewer.kind === 'hq_admin' || (viewer.kind === 'member' && viewer.userId === store.ownerId);
      if (!privileged) return [];
      return (await context.historyByStoreId.load(store.id)).map((change: StoreStatusChange) => ({
        transition: change.transition,
        from: change.fromStatus,
        to: change.toStatus,
        by: { id: change.actorId },
        reason: change.reason,
        at: change.createdAt,
      }));
    },
  },
  Category: {
    __resolveReference: (reference: Reference): Reference => ({ id: reference.id }),
    stores: async (category: Reference, args: unknown, context: StoreContext): Promise<Connection<Store>> => {
      const page = pageOf(parseInput(pageSchema, args));
      return storeConnection(await context.storesByCategory.load({ categoryId: category.id, page }), page.first);
    },
  },
};
