import path from 'node:path';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import { connectionFrom, DateTimeScalar, decodeCursor, loadTypeDefs, pageArgs, parseInput, requireRole } from '@x/kit';
import { z } from 'zod';
import type { DeliveryTimes } from '../store/kpis';
import type { AuditEventRow } from '../store/audit-trail';
import type { StoreStateRow } from '../store/store-states';
import type { HeadquarterContext } from './context';

export const typeDefs = loadTypeDefs(path.resolve(__dirname, '../../src/schema/schema.graphql'));

const auditArgs = pageArgs({ max: 100 })
  .extend({
    entityId: z.string().trim().min(1).max(255).nullish(),
    correlationId: z.string().trim().min(1).max(128).nullish(),
  })
  .refine((args) => Boolean(args.entityId || args.correlationId), { message: 'give entityId, correlationId or both', path: ['entityId'] });
const auditCursor = z.tuple([z.iso.datetime(), z.string().regex(/^\d{1,19}$/)]);
const queueArgs = pageArgs({ max: 100 });
const queueCursor = z.tuple([z.iso.datetime(), z.uuid()]);
const dayArgs = z.object({
  day: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'day must be YYYY-MM-DD')
    .refine(isCalendarDay, 'day is not a calendar date'),
});
function isCalendarDay(day: string): boolean {
  const date = new Date(`${day}T00:00:00.000Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(day);
}

const envelopeData = z.object({ data: z.unknown() });

/** Everything headquarters exposes is for hq_admin alone. */
const requireHqAdmin = (context: HeadquarterContext) => requireRole(context.principal, 'hq_admin');

/** The root of `kpis`: delivery times are read once however many of their fields are asked for. */
interface KpisRoot {
  deliveryTimes(): Promise<DeliveryTimes>;
}

export const resolvers: GraphQLResolverMap<HeadquarterContext> = {
  DateTime: DateTimeScalar,
  Query: {
    auditTrail: async (_root, args: unknown, context: HeadquarterContext) => {
      requireHqAdmin(context);
      const { first, after, entityId, correlationId } = parseInput(auditArgs, args);
      const cursor = after ? decodeCursor(after, auditCursor) : undefined;
      const rows = await context.audit.page(
        { ...(entityId ? { entityId } : {}), ...(correlationId ? { correlationId } : {}) },
        first + 1,
        cursor ? { occurredAt: new Date(cursor[0]), seq: BigInt(cursor[1]) } : undefined,
      );
      return connectionFrom(rows, first, (row) => [row.occurredAt.toISOString(), row.seq.toString()]);
    },
    kpis: (_root, _args, context: HeadquarterContext): KpisRoot => {
      requireHqAdmin(context);
      let deliveryTimes: Promise<DeliveryTimes> | undefined;
      return { deliveryTimes: () => (deliveryTimes ??= context.kpis.deliveryTimes()) };
    },
    approvalQueue: async (_root, args: unknown, context: HeadquarterContext) => {
      requireHqAdmin(context);
      const { first, after } = parseInput(queueArgs, args);
      const cursor = after ? decodeCursor(after, queueCursor) : undefined;
      const rows = await context.stores.approvalQueue(first + 1, cursor ? { statusSince: new Date(cursor[0]), storeId: cursor[1] } : undefined);
      return connectionFrom(rows, first, (row) => [row.statusSince.toISOString(), row.storeId]);
    },
  },
  AuditEvent: {
    id: (row: AuditEventRow) => row.eventId,
    actor: (row: AuditEventRow) => (row.actorId ? { id: row.actorId } : null),
    data: (row: AuditEventRow) => JSON.stringify(envelopeData.parse(JSON.parse(row.payload)).data),
  },
  Kpis: {
    ordersByStatus: (_root: KpisRoot, _args, context: HeadquarterContext) => context.kpis.ordersByStatus(),
    revenueByStore: async (_root: KpisRoot, args: unknown, context: HeadquarterContext) => {
      const { day } = parseInput(dayArgs, args);
      return (await context.kpis.revenueByStore(day)).map(({ storeId, ...revenue }) => ({ store: { id: storeId }, ...revenue }));
    },
    averageDeliveryMinutes: async (root: KpisRoot) => (await root.deliveryTimes()).averageMinutes,
    p90DeliveryMinutes: async (root: KpisRoot) => (await root.deliveryTimes()).p90Minutes,
    activeCouriers: (_root: KpisRoot, _args, context: HeadquarterContext) => context.kpis.activeCouriers(),
  },
  StoreApproval: {
    store: (row: StoreStateRow) => ({ id: row.storeId }),
    owner: (row: StoreStateRow) => ({ id: row.ownerId }),
    waitingSince: (row: StoreStateRow) => row.statusSince,
  },
  Store: {
    __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
    stats: (store: { id: string }, _args, context: HeadquarterContext) => {
      requireHqAdmin(context);
      return context.storeStatsById.load(store.id);
    },
  },
};
