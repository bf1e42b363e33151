import { defineEvent } from '../envelope';
import { categorySnapshotSchema } from './category-shapes';

export const CategoryCreated = defineEvent({
  type: 'store-categories.category.created',
  version: 1,
  producer: 'store-categories',
  description: 'hq_admin created a category; stores may link to it from now on.',
  data: categorySnapshotSchema,
});
