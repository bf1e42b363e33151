import { defineEvent } from '../envelope';
import { categorySnapshotSchema } from './category-shapes';

export const CategoryUpdated = defineEvent({
  type: 'store-categories.category.updated',
  version: 1,
  producer: 'store-categories',
  description: 'A category was renamed or moved in the tree.',
  data: categorySnapshotSchema,
});
