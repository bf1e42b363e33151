import path from 'node:path';
import { DateTimeScalar, loadTypeDefs, parseInput, requireRole } from '@x/kit';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import { z } from 'zod';
import { createCategorySchema, positionSchema, slugSchema, updateCategorySchema } from '../domain/category';
import type { Category } from '../store/categories';
import type { CategoriesContext } from './context';

export const typeDefs = loadTypeDefs(path.resolve(__dirname, '../../src/schema/schema.graphql'));

const categoryId = z.uuid('must be a category id (UUID)');
const categoriesArgs = z.object({ tree: z.boolean().nullish() });
const categoryArgs = z.object({ slug: slugSchema });
const createArgs = z.object({ input: createCategorySchema });
const updateArgs = z.object({ id: categoryId, input: updateCategorySchema });
const moveArgs = z.object({ id: categoryId, parentId: categoryId.nullish(), position: positionSchema.nullish() });
const deleteArgs = z.object({ id: categoryId });

export const resolvers: GraphQLResolverMap<CategoriesContext> = {
  DateTime: DateTimeScalar,
  Query: {
    categories: (_root, args: unknown, context: CategoriesContext): Promise<Category[]> => {
      const { tree } = parseInput(categoriesArgs, args);
      return tree ? context.categories.listRoots() : context.categories.listAll();
    },
    category: (_root, args: unknown, context: CategoriesContext): Promise<Category | null> => {
      const { slug } = parseInput(categoryArgs, args);
      return context.categories.findBySlug(slug);
    },
  },
  Mutation: {
    createCategory: (_root, args: unknown, context: CategoriesContext): Promise<Category> => {
      requireRole(context.principal, 'hq_admin');
      const { input } = parseInput(createArgs, args);
      return context.categories.create(input);
    },
    updateCategory: (_root, args: unknown, context: CategoriesContext): Promise<Category> => {
      requireRole(context.principal, 'hq_admin');
      const { id, input } = parseInput(updateArgs, args);
      return context.categories.update(id, input);
    },
    moveCategory: (_root, args: unknown, context: CategoriesContext): Promise<Category> => {
      requireRole(context.principal, 'hq_admin');
      const { id, parentId, position } = parseInput(moveArgs, args);
      return context.categories.move(id, parentId ?? null, position ?? undefined);
    },
    deleteCategory: async (_root, args: unknown, context: CategoriesContext): Promise<string> => {
      requireRole(context.principal, 'hq_admin');
      const { id } = parseInput(deleteArgs, args);
      await context.categories.delete(id);
      return id;
    },
  },
  Category: {
    __resolveReference: (reference: { id: string }, context: CategoriesContext) => context.categoryById.load(reference.id),
    parent: (category: Category, _args, context: CategoriesContext) => (category.parentId === null ? null : context.categoryById.load(category.parentId)),
    children: (category: Category, _args, context: CategoriesContext) => context.childrenByParentId.load(category.id),
    storeCount: async (category: Category, _args, context: CategoriesContext) => (await context.countsByCategoryId.load(category.id)).storeCount,
    openStoreCount: async (category: Category, _args, context: CategoriesContext) => (await context.countsByCategoryId.load(category.id)).openStoreCount,
    linkedStoreCount: async (category: Category, _args, context: CategoriesContext) => (await context.countsByCategoryId.load(category.id)).linkedStoreCount,
  },
};
