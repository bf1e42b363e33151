import type { GraphQLContext } from '@x/kit';
import DataLoader from 'dataloader';
import type { AccountStore, AccountView } from '../store/accounts';
import type { Identity } from '../store/identity';

export interface AuthContext extends GraphQLContext {
  identity: Identity;
  accountById: DataLoader<string, AccountView | null>;
}

export function authContext(identity: Identity, accounts: AccountStore) {
  return (base: GraphQLContext): AuthContext => ({
    ...base,
    identity,
    accountById: new DataLoader(async (ids: readonly string[]) => {
      const found = new Map((await accounts.findByIds(ids)).map((account) => [account.id, account]));
      return ids.map((id) => found.get(id) ?? null);
    }),
  });
}
