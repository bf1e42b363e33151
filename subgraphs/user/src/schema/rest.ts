import type { FastifyInstance, FastifyRequest } from 'fastify';
import { notFound, parseInput, requirePrincipal, type Principal } from '@x/kit';
import { profilePatchSchema } from '../domain/profile';
import type { Profile, ProfileStore } from '../store/profiles';

/** REST for clients that do not speak GraphQL: `GET/PATCH /user/me`, routed by the edge at :9090/user. */
export function profileRoutes(profiles: ProfileStore) {
  return (app: FastifyInstance, authenticate: (request: FastifyRequest) => Promise<Principal | null>): void => {
    app.get('/user/me', async (request) => {
      const caller = requirePrincipal(await authenticate(request));
      const profile = await profiles.findById(caller.userId);
      if (!profile) throw notFound('no profile for this account yet');
      return profileBody(profile);
    });
    app.patch('/user/me', async (request) => {
      const caller = requirePrincipal(await authenticate(request));
      const patch = parseInput(profilePatchSchema, request.body);
      const profile = await profiles.update(caller.userId, patch);
      if (!profile) throw notFound('no profile for this account yet');
      return profileBody(profile);
    });
  };
}

function profileBody(profile: Profile) {
  return {
    id: profile.id,
    displayName: profile.displayName,
    bio: profile.bio,
    avatarUrl: profile.avatarUrl,
    createdAt: profile.createdAt.toISOString(),
    updatedAt: profile.updatedAt.toISOString(),
  };
}
