import type { GraphQLContext } from '@x/kit';
import DataLoader from 'dataloader';
import type { Profile, ProfileStore } from '../store/profiles';

export interface UserContext extends GraphQLContext {
  profiles: ProfileStore;
  profileById: DataLoader<string, Profile | null>;
}

export function userContext(profiles: ProfileStore) {
  return (base: GraphQLContext): UserContext => ({
    ...base,
    profiles,
    // One query per request for every profile asked for, however many users a plan touches.
    profileById: new DataLoader(async (ids: readonly string[]) => {
      const found = new Map((await profiles.findByIds(ids)).map((profile) => [profile.id, profile]));
      return ids.map((id) => found.get(id) ?? null);
    }),
  });
}
