import { defineEvent } from '../envelope';
import { deliveryRefSchema } from './delivery-shapes';
import { deliveryAddressSchema } from './order-shapes';
import { geoPointSchema } from './store-shapes';

export const DeliveryRequested = defineEvent({
  type: 'order-delivery.delivery.requested',
  version: 1,
  producer: 'order-delivery',
  description: 'order-delivery created a REQUESTED delivery for an accepted order; couriers nearby can claim it.',
  data: deliveryRefSchema.extend({ pickup: geoPointSchema.nullable(), dropoff: deliveryAddressSchema }),
  personalData: ['dropoff'],
});
