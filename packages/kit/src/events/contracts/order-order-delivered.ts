import { z } from 'zod';
import { defineEvent } from '../envelope';
import { currencySchema, orderRefSchema, pricedLineSchema } from './order-shapes';

export const OrderDelivered = defineEvent({
  type: 'order.order.delivered',
  version: 1,
  producer: 'order',
  description: 'The order reached its customer (DELIVERED); picks commits the reservation for good.',
  data: orderRefSchema.extend({
    courierId: z.uuid(),
    lines: z.array(pricedLineSchema).min(1),
    totalMinor: z.number().int().min(0),
    currency: currencySchema,
    placedAt: z.iso.datetime(),
    deliveredAt: z.iso.datetime(),
  }),
});
