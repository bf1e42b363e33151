import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseInput, requirePrincipal, type Principal } from '@x/kit';
import { z } from 'zod';
import { loginSchema, refreshSchema, registrationSchema } from '../domain/credentials';
import type { Identity } from '../store/identity';
import type { SigningKeys } from '../store/signing-keys';

const accountIdParams = z.object({ id: z.uuid('id must be an account id (UUID)') });

/** auth's REST API, served under /auth and passed through by the edge at :9090/auth. */
export function authRoutes(identity: Identity, keys: SigningKeys) {
  return (app: FastifyInstance, authenticate: (request: FastifyRequest) => Promise<Principal | null>): void => {
    app.post('/auth/register', async (request, reply) => {
      const user = await identity.register(parseInput(registrationSchema, request.body));
      return reply.status(201).send({ user });
    });

    app.post('/auth/login', async (request) => {
      const { email, password } = parseInput(loginSchema, request.body);
      return identity.login(email, password, request.ip);
    });

    app.post('/auth/refresh', async (request) => identity.refresh(parseInput(refreshSchema, request.body).refreshToken));

    app.post('/auth/logout', async (request, reply) => {
      await identity.logout(parseInput(refreshSchema, request.body).refreshToken);
      return reply.status(204).send();
    });

    app.delete('/auth/me', async (request, reply) => {
      const caller = requirePrincipal(await authenticate(request));
      await identity.deleteAccount(caller, caller.userId);
      return reply.status(204).send();
    });

    app.delete('/auth/users/:id', async (request, reply) => {
      const caller = requirePrincipal(await authenticate(request));
      await identity.deleteAccount(caller, parseInput(accountIdParams, request.params).id);
      return reply.status(204).send();
    });

    app.get('/auth/.well-known/jwks.json', async (_request, reply) =>
      reply.header('cache-control', 'public, max-age=300').send(keys.jwks()),
    );
  };
}
