import { loaderById, type GraphQLContext } from '@x/kit';
import type DataLoader from 'dataloader';
import type { Profile, ProfileStore } from '../store/profiles';

export interface UserContext extends GraphQLContext {
  profiles: ProfileStore;
  profileById: DataLoader<string, Profile | null>;
}

export function userContext(profiles: ProfileStore) {
  return (base: GraphQLContext): UserContext => ({
    ...base,
    profiles,
    profileById: loaderById((ids) => profiles.findByIds(ids), (profile) => profile.id),
  });
}
