import { z } from 'zod';
import { defineEvent } from '../envelope';
import { currencySchema, deliveryAddressSchema, orderRefSchema } from './order-shapes';

export const OrderAccepted = defineEvent({
  type: 'order.order.accepted',
  version: 1,
  producer: 'order',
  description: 'The store accepted the order and prepares it (PREPARING); order-delivery requests a courier.',
  data: orderRefSchema.extend({ deliveryAddress: deliveryAddressSchema, totalMinor: z.number().int().min(0), currency: currencySchema }),
  personalData: ['deliveryAddress'],
});
