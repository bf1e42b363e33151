import { z } from 'zod';
import { defineEvent } from '../envelope';

export const CategoryDeleted = defineEvent({
  type: 'store-categories.category.deleted',
  version: 1,
  producer: 'store-categories',
  description: 'A category no store used was deleted; stores can no longer link to it.',
  data: z.object({ categoryId: z.uuid() }),
});
