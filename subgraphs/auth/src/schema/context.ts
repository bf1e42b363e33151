import { loaderById, type GraphQLContext } from '@x/kit';
import type DataLoader from 'dataloader';
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
    accountById: loaderById((ids) => accounts.findByIds(ids), (account) => account.id),
  });
}
