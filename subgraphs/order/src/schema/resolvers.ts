import path from 'node:path';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import {
  connectionFrom,
  DateTimeScalar,
  decodeCursor,
  forbidden,
  isSelfOrAdmin,
  loadTypeDefs,
  pageArgs,
  parseInput,
  requirePrincipal,
  requireRole,
  stockRejectionReasonSchema,
  type Principal,
} from '@x/kit';
import { z } from 'zod';
import { orderStatuses, type Person } from '../domain/order-status';
import { placeOrderInputSchema } from '../domain/place-order';
import { deliveryAddressOf, type OrderRow } from '../store/orders';
import type { OrderContext } from './context';

export const typeDefs = loadTypeDefs(path.resolve(__dirname, '../../src/schema/schema.graphql'));

const orderIdArgs = z.object({ id: z.uuid('id must be an order id (UUID)') });
const reasonArgs = orderIdArgs.extend({ reason: z.string().trim().max(500, 'reason is at most 500 characters').nullish() });
const listArgs = pageArgs({ max: 100 }).extend({ status: z.enum(orderStatuses).nullish() });
const cursorShape = z.tuple([z.iso.datetime(), z.uuid()]);
const rejectionDetails = z.object({
  lines: z.array(z.object({ pickId: z.string(), reason: stockRejectionReasonSchema, requested: z.number(), available: z.number() })),
  message: z.string().nullable(),
});

async function mayRead(order: OrderRow, caller: Principal, context: OrderContext): Promise<boolean> {
  if (caller.roles.includes('hq_admin') || order.customerId === caller.userId || order.courierId === caller.userId) return true;
  return (await context.storeOwnerById.load(order.storeId))?.ownerId === caller.userId;
}

async function page(context: OrderContext, where: { customerId?: string; storeId?: string }, args: unknown) {
  const { first, after, status } = parseInput(listArgs, args);
  const rows = await context.orders.listPage({ ...where, ...(status ? { status } : {}) }, first, after ? decodeCursor(after, cursorShape) : undefined);
  return connectionFrom(rows, first, (order) => [order.placedAt.toISOString(), order.id]);
}

const person = (caller: Principal): Person => ({ kind: 'person', userId: caller.userId, roles: caller.roles });

export const resolvers: GraphQLResolverMap<OrderContext> = {
  DateTime: DateTimeScalar,
  Query: {
    order: async (_root, args: unknown, context: OrderContext) => {
      const caller = requirePrincipal(context.principal);
      const order = await context.orderById.load(parseInput(orderIdArgs, args).id);
      if (!order) return null;
      if (!(await mayRead(order, caller, context))) throw forbidden("only the order's customer, the store's owner, its courier or hq_admin can read it");
      return order;
    },
  },
  Mutation: {
    placeOrder: async (_root, args: unknown, context: OrderContext) => {
      const caller = requireRole(context.principal, 'customer');
      const { input } = parseInput(z.object({ input: placeOrderInputSchema }), args);
      return context.orders.place(caller.userId, input);
    },
    acceptOrder: (_root, args: unknown, context: OrderContext) => {
      const caller = requirePrincipal(context.principal);
      return context.orders.accept(parseInput(orderIdArgs, args).id, person(caller));
    },
    declineOrder: (_root, args: unknown, context: OrderContext) => {
      const caller = requirePrincipal(context.principal);
      const { id, reason } = parseInput(reasonArgs, args);
      return context.orders.decline(id, person(caller), reason ?? null);
    },
    markOrderReady: (_root, args: unknown, context: OrderContext) => {
      const caller = requirePrincipal(context.principal);
      return context.orders.markReady(parseInput(orderIdArgs, args).id, person(caller));
    },
    cancelOrder: (_root, args: unknown, context: OrderContext) => {
      const caller = requirePrincipal(context.principal);
      const { id, reason } = parseInput(reasonArgs, args);
      return context.orders.cancel(id, person(caller), reason ?? null);
    },
  },
  Order: {
    __resolveReference: async (reference: { id: string }, context: OrderContext) => {
      const caller = requirePrincipal(context.principal);
      const order = await context.orderById.load(reference.id);
      if (order && !(await mayRead(order, caller, context))) throw forbidden('not your order');
      return order;
    },
    customer: (order: OrderRow) => (order.customerId ? { id: order.customerId } : null),
    store: (order: OrderRow) => ({ id: order.storeId }),
    deliveryAddress: (order: OrderRow) => deliveryAddressOf(order),
    rejection: (order: OrderRow) =>
      order.rejectionReason
        ? { reason: order.rejectionReason, ...rejectionDetails.parse(JSON.parse(order.rejectionDetails ?? '{"lines":[],"message":null}')) }
        : null,
    history: async (order: OrderRow, _args, context: OrderContext) =>
      (await context.historyByOrderId.load(order.id)).map((change) => ({ from: change.fromStatus, to: change.toStatus, trigger: change.trigger, reason: change.reason, at: change.at })),
  },
  OrderLine: {
    pick: (line: { pickId: string }) => ({ id: line.pickId }),
  },
  User: {
    orders: (user: { id: string }, args: unknown, context: OrderContext) => {
      const caller = requirePrincipal(context.principal);
      if (!isSelfOrAdmin(caller, user.id)) throw forbidden("only the user themself or an hq_admin can list a user's orders");
      return page(context, { customerId: user.id }, args);
    },
  },
  Store: {
    orders: async (store: { id: string }, args: unknown, context: OrderContext) => {
      const caller = requirePrincipal(context.principal);
      const owner = await context.storeOwnerById.load(store.id);
      if (!caller.roles.includes('hq_admin') && owner?.ownerId !== caller.userId) throw forbidden("only the store's owner or an hq_admin can list its orders");
      return page(context, { storeId: store.id }, args);
    },
  },
};
