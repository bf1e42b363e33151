import path from 'node:path';
import { DateTimeScalar, forbidden, isSelfOrAdmin, loadTypeDefs, notFound, parseInput, requirePrincipal } from '@x/kit';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import { z } from 'zod';
import { profilePatchSchema } from '../domain/profile';
import type { UserContext } from './context';

export const typeDefs = loadTypeDefs(path.resolve(__dirname, '../../src/schema/schema.graphql'));

interface UserRef {
  id: string;
}

const userIdArgs = z.object({ id: z.uuid('id must be a user id (UUID)') });
const updateProfileArgs = z.object({ input: profilePatchSchema });

export const resolvers: GraphQLResolverMap<UserContext> = {
  DateTime: DateTimeScalar,
  Query: {
    me: (_root, _args, context: UserContext): UserRef => ({ id: requirePrincipal(context.principal).userId }),
    user: async (_root, args: unknown, context: UserContext): Promise<UserRef | null> => {
      const caller = requirePrincipal(context.principal);
      const { id } = parseInput(userIdArgs, args);
      if (!isSelfOrAdmin(caller, id)) throw forbidden('only the user themself or an hq_admin can read this user');
      return (await context.profileById.load(id)) ? { id } : null;
    },
  },
  Mutation: {
    updateProfile: async (_root, args: unknown, context: UserContext) => {
      const caller = requirePrincipal(context.principal);
      const { input } = parseInput(updateProfileArgs, args);
      const updated = await context.profiles.update(caller.userId, input);
      if (!updated) throw notFound('no profile for this account yet: it is created right after registration, try again shortly');
      return updated;
    },
  },
  User: {
    __resolveReference: (reference: UserRef): UserRef => ({ id: reference.id }),
    profile: (user: UserRef, _args, context: UserContext) => {
      requirePrincipal(context.principal);
      return context.profileById.load(user.id);
    },
  },
};
