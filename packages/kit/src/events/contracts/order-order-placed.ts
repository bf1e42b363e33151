import { z } from 'zod';
import { defineEvent } from '../envelope';
import { deliveryAddressSchema, orderRefSchema, requestedLineSchema } from './order-shapes';

export const OrderPlaced = defineEvent({
  type: 'order.order.placed',
  version: 1,
  producer: 'order',
  description: 'A customer placed an order (PENDING); picks answers by reserving all lines or none.',
  data: orderRefSchema.extend({ lines: z.array(requestedLineSchema).min(1).max(50), deliveryAddress: deliveryAddressSchema }),
  personalData: ['deliveryAddress'],
});
