import path from 'node:path';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import { forbidden, isSelfOrAdmin, loadTypeDefs, parseInput, requirePrincipal, roleSchema } from '@x/kit';
import { z } from 'zod';
import type { AuthContext } from './context';

export const typeDefs = loadTypeDefs(path.resolve(__dirname, '../../src/schema/schema.graphql'));

interface UserRef {
  id: string;
}

const grantRoleArgs = z.object({ userId: z.uuid('userId must be a user id (UUID)'), role: roleSchema });

async function visibleAccount(user: UserRef, context: AuthContext) {
  const caller = requirePrincipal(context.principal);
  if (!isSelfOrAdmin(caller, user.id)) throw forbidden('only the user themself or an hq_admin can see this');
  return context.accountById.load(user.id);
}

export const resolvers: GraphQLResolverMap<AuthContext> = {
  // GraphQL spells roles in capitals; tokens and events use the lower-case names.
  Role: { CUSTOMER: 'customer', STORE_OWNER: 'store_owner', COURIER: 'courier', HQ_ADMIN: 'hq_admin' },
  User: {
    __resolveReference: (reference: UserRef): UserRef => ({ id: reference.id }),
    email: async (user: UserRef, _args, context: AuthContext) => (await visibleAccount(user, context))?.email ?? null,
    roles: async (user: UserRef, _args, context: AuthContext) => (await visibleAccount(user, context))?.roles ?? null,
  },
  Mutation: {
    grantRole: async (_root, args: unknown, context: AuthContext): Promise<UserRef> => {
      const caller = requirePrincipal(context.principal);
      const { userId, role } = parseInput(grantRoleArgs, args);
      return { id: (await context.identity.grantRole(caller, userId, role)).id };
    },
  },
};
