import { z } from 'zod';

export const deliveryRefSchema = z.object({ deliveryId: z.uuid(), orderId: z.uuid(), storeId: z.uuid() });
