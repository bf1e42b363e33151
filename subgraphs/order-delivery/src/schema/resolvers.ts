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
  type Principal,
} from '@x/kit';
import { z } from 'zod';
import { visibilityOf, type Visibility } from '../domain/access';
import { deliveryStatuses, type DeliveryStatus } from '../domain/delivery-status';
import { dropoffAddressOf, type DeliveryRow } from '../store/deliveries';
import type { DeliveryContext } from './context';

export const typeDefs = loadTypeDefs(path.resolve(__dirname, '../../src/schema/schema.graphql'));

const idArgs = z.object({ id: z.uuid('id must be a delivery id (UUID)') });
const listArgs = pageArgs({ max: 100 }).extend({ status: z.enum(deliveryStatuses).nullish() });
const cursorShape = z.tuple([z.iso.datetime(), z.uuid()]);
const maxRadiusKm = 50;
const openArgs = z.object({
  near: z.object({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) }),
  radiusKm: z.number().positive('radiusKm must be above 0').max(maxRadiusKm, `radiusKm must be at most ${maxRadiusKm}`),
  first: z.number().int().min(1, 'first must be at least 1').max(50, 'first must be at most 50').default(20),
});

async function visibility(delivery: DeliveryRow, caller: Principal, context: DeliveryContext): Promise<Visibility> {
  const store = await context.storeById.load(delivery.storeId);
  return visibilityOf({ status: delivery.status as DeliveryStatus, courierId: delivery.courierId, customerId: delivery.customerId, storeOwnerId: store?.ownerId ?? null }, caller);
}

async function readable(delivery: DeliveryRow | null, context: DeliveryContext): Promise<DeliveryRow | null> {
  const caller = requirePrincipal(context.principal);
  if (delivery && (await visibility(delivery, caller, context)) === 'none') {
    throw forbidden("only the delivery's courier, the order's customer, the store's owner or hq_admin can read it");
  }
  return delivery;
}

async function page(context: DeliveryContext, courierId: string, args: unknown) {
  const { first, after, status } = parseInput(listArgs, args);
  const rows = await context.deliveries.listForCourier(courierId, status ?? undefined, first, after ? decodeCursor(after, cursorShape) : undefined);
  // Every delivery a courier has was claimed, so claimedAt is set.
  return connectionFrom(rows, first, (delivery) => [(delivery.claimedAt ?? delivery.requestedAt).toISOString(), delivery.id]);
}

const courierStep = (trigger: 'claim' | 'pickUp' | 'deliver' | 'markReturned') => (_root: unknown, args: unknown, context: DeliveryContext) => {
  const caller = requireRole(context.principal, 'courier');
  const { id } = parseInput(idArgs, args);
  return context.deliveries.act(id, trigger, { kind: 'person', userId: caller.userId, roles: caller.roles });
};

const point = (lat: number | null, lng: number | null) => (lat === null || lng === null ? null : { lat, lng });

export const resolvers: GraphQLResolverMap<DeliveryContext> = {
  DateTime: DateTimeScalar,
  Query: {
    delivery: async (_root, args: unknown, context: DeliveryContext) => readable(await context.deliveryById.load(parseInput(idArgs, args).id), context),
    openDeliveries: async (_root, args: unknown, context: DeliveryContext) => {
      requireRole(context.principal, 'courier');
      const { near, radiusKm, first } = parseInput(openArgs, args);
      return context.deliveries.openNear(near, radiusKm, first);
    },
    myDeliveries: (_root, args: unknown, context: DeliveryContext) => page(context, requireRole(context.principal, 'courier').userId, args),
  },
  Mutation: {
    claimDelivery: courierStep('claim'),
    markPickedUp: courierStep('pickUp'),
    markDelivered: courierStep('deliver'),
    markReturned: courierStep('markReturned'),
  },
  Delivery: {
    __resolveReference: async (reference: { id: string }, context: DeliveryContext) => readable(await context.deliveryById.load(reference.id), context),
    order: (delivery: DeliveryRow) => ({ id: delivery.orderId }),
    store: (delivery: DeliveryRow) => ({ id: delivery.storeId }),
    courier: (delivery: DeliveryRow) => (delivery.courierId ? { id: delivery.courierId } : null),
    pickup: (delivery: DeliveryRow) => ({ lat: delivery.pickupLat, lng: delivery.pickupLng }),
    dropoffArea: (delivery: DeliveryRow) => ({
      city: delivery.dropoffCity,
      postalCode: delivery.dropoffPostalCode,
      country: delivery.dropoffCountry,
      location: point(delivery.dropoffLat, delivery.dropoffLng),
    }),
    dropoff: async (delivery: DeliveryRow, _args, context: DeliveryContext) =>
      (await visibility(delivery, requirePrincipal(context.principal), context)) === 'party' ? dropoffAddressOf(delivery) : null,
    history: async (delivery: DeliveryRow, _args, context: DeliveryContext) =>
      (await context.historyByDeliveryId.load(delivery.id)).map((change) => ({ from: change.fromStatus, to: change.toStatus, trigger: change.trigger, reason: change.reason, at: change.at })),
  },
  Order: {
    delivery: async (order: { id: string }, _args, context: DeliveryContext) => readable(await context.deliveryByOrderId.load(order.id), context),
  },
  User: {
    deliveries: (user: { id: string }, args: unknown, context: DeliveryContext) => {
      const caller = requirePrincipal(context.principal);
      if (!isSelfOrAdmin(caller, user.id)) throw forbidden("only the courier themself or an hq_admin can list a courier's deliveries");
      return page(context, user.id, args);
    },
  },
};
