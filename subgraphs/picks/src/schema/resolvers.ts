import path from 'node:path';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import { connectionFrom, DateTimeScalar, decodeCursor, forbidden, loadTypeDefs, notFound, parseInput, requirePrincipal, type Connection } from '@x/kit';
import { z } from 'zod';
import { canDeletePick, canManagePicks, canSeePick, type StoreFacts, type Viewer } from '../domain/access';
import { availableQuantity, createPickSchema, pickPatchSchema, picksPageSchema, stockDeltaSchema, stockSchema, type Pick } from '../domain/pick';
import { pickCursor } from '../store/picks';
import type { PicksContext } from './context';

export const typeDefs = loadTypeDefs(path.resolve(__dirname, '../../src/schema/schema.graphql'));

interface EntityRef {
  id: string;
}

/** GraphQL sends null for an optional input left out; the domain schemas read absent as "not given". */
const withoutNulls = (keep: readonly string[]) => (value: unknown) =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value).filter(([key, field]) => field !== null || keep.includes(key)))
    : value;

const pickId = z.uuid('id must be a pick id (UUID)');
const pickArgs = z.object({ id: pickId });
const createPickArgs = z.object({ input: z.preprocess(withoutNulls(['description']), createPickSchema) });
const updatePickArgs = z.object({ id: pickId, input: z.preprocess(withoutNulls(['description']), pickPatchSchema) });
const setStockArgs = z.object({ id: pickId, stock: stockSchema });
const adjustStockArgs = z.object({ id: pickId, delta: stockDeltaSchema });
const storePicksArgs = z.preprocess(withoutNulls([]), picksPageSchema.extend({ filter: z.preprocess(withoutNulls([]), picksPageSchema.shape.filter) }));
const cursorShape = z.tuple([z.string(), z.string()]);

async function visiblePick(context: PicksContext, id: string): Promise<Pick | null> {
  const pick = await context.pickById.load(id);
  if (!pick) return null;
  return canSeePick(context.viewer, await context.storeById.load(pick.storeId), pick) ? pick : null;
}

/** Checks that the caller may change the pick under `rule`: NOT_FOUND or FORBIDDEN (with `refusal`) otherwise. */
async function authorizeChange(context: PicksContext, id: string, rule: (viewer: Viewer, store: StoreFacts) => boolean, refusal: string): Promise<void> {
  const pick = await context.pickById.load(id);
  if (!pick) throw notFound(`no pick ${id}`);
  const store = await context.storeById.load(pick.storeId);
  if (!store || !rule(context.viewer, store)) throw forbidden(refusal);
}

const ownerOnly = "only the store's owner can change its picks";

const changed = (pick: Pick | null, id: string): Pick => {
  if (!pick) throw notFound(`no pick ${id}`);
  return pick;
};

export const resolvers: GraphQLResolverMap<PicksContext> = {
  DateTime: DateTimeScalar,
  Query: {
    pick: async (_root, args: unknown, context: PicksContext) => visiblePick(context, parseInput(pickArgs, args).id),
  },
  Mutation: {
    createPick: async (_root, args: unknown, context: PicksContext) => {
      requirePrincipal(context.principal);
      const { input } = parseInput(createPickArgs, args);
      const store = await context.storeById.load(input.storeId);
      if (!store) throw notFound(`no store ${input.storeId} (a new store shows up here moments after it is created)`);
      if (!canManagePicks(context.viewer, store)) throw forbidden("only the store's owner can add picks to it");
      const { storeId, ...pick } = input;
      return context.picks.create(storeId, pick);
    },
    updatePick: async (_root, args: unknown, context: PicksContext) => {
      requirePrincipal(context.principal);
      const { id, input } = parseInput(updatePickArgs, args);
      await authorizeChange(context, id, canManagePicks, ownerOnly);
      return changed(await context.picks.update(id, input), id);
    },
    deletePick: async (_root, args: unknown, context: PicksContext) => {
      const caller = requirePrincipal(context.principal);
      const { id } = parseInput(pickArgs, args);
      await authorizeChange(context, id, canDeletePick, "only the store's owner or an hq_admin can delete its picks");
      if (!(await context.picks.remove(id, caller.userId))) throw notFound(`no pick ${id}`);
      return id;
    },
    setStock: async (_root, args: unknown, context: PicksContext) => {
      requirePrincipal(context.principal);
      const { id, stock } = parseInput(setStockArgs, args);
      await authorizeChange(context, id, canManagePicks, ownerOnly);
      return changed(await context.picks.setStock(id, stock), id);
    },
    adjustStock: async (_root, args: unknown, context: PicksContext) => {
      requirePrincipal(context.principal);
      const { id, delta } = parseInput(adjustStockArgs, args);
      await authorizeChange(context, id, canManagePicks, ownerOnly);
      return changed(await context.picks.adjustStock(id, delta), id);
    },
  },
  Store: {
    __resolveReference: (reference: EntityRef): EntityRef => ({ id: reference.id }),
    picks: async (store: EntityRef, args: unknown, context: PicksContext): Promise<Connection<Pick>> => {
      const page = parseInput(storePicksArgs, args);
      const after = page.after ? decodeCursor(page.after, cursorShape) : null;
      const rows = await context.storePages.load({ storeId: store.id, page, after });
      return connectionFrom(rows, page.first, pickCursor);
    },
  },
  Pick: {
    __resolveReference: (reference: EntityRef, context: PicksContext) => visiblePick(context, reference.id),
    store: (pick: Pick): EntityRef => ({ id: pick.storeId }),
    price: (pick: Pick) => ({ amountMinor: pick.priceMinor, currency: pick.currency }),
    availableQuantity: (pick: Pick) => availableQuantity(pick),
  },
};
