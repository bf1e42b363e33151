import { randomUUID } from 'node:crypto';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import { Kind, type DocumentNode } from 'graphql';
import { generateKeyPair, SignJWT } from 'jose';
import { createLogger, createMetrics, createTokenVerifier, startServiceServer, type GraphQLContext, type Role } from '@x/kit';

export interface GraphQLAnswer<T = Record<string, unknown>> {
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } & Record<string, unknown> }[];
}

export interface Caller {
  userId: string;
  token: string | undefined;
}

export interface SubgraphHarness {
  url: string;
  /** Posts a GraphQL document to the subgraph, as `caller` (anonymous without one). */
  request<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, caller?: Caller): Promise<GraphQLAnswer<T>>;
  /** A caller with a fresh user id (or the given one) and a signed access token carrying `roles`. */
  caller(roles: Role[], userId?: string): Promise<Caller>;
  close(): Promise<void>;
}

/**
 * One subgraph served in-process on a free port with a local signing key, so resolver tests go through
 * the real HTTP bootstrap, token check and error formatting without auth running.
 */
export async function startSubgraphHarness<TContext extends GraphQLContext>(options: {
  name: string;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<TContext>;
  context: (base: GraphQLContext) => TContext;
}): Promise<SubgraphHarness> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA');
  const settings = { jwksUrl: 'http://unused.invalid', issuer: 'x-auth', audience: 'x-platform' };
  const server = await startServiceServer<TContext>({
    name: options.name,
    host: '127.0.0.1',
    port: 0,
    production: false,
    log: createLogger(`${options.name}-test`, 'silent'),
    metrics: createMetrics(options.name),
    verifyToken: createTokenVerifier(settings, async () => publicKey),
    readiness: {},
    subgraph: { typeDefs: options.typeDefs, resolvers: options.resolvers, context: options.context },
  });
  const url = `${server.url}/graphql`;
  return {
    url,
    async request<T>(query: string, variables: Record<string, unknown> = {}, caller?: Caller): Promise<GraphQLAnswer<T>> {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(caller?.token ? { authorization: `Bearer ${caller.token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as GraphQLAnswer<T>;
    },
    async caller(roles: Role[], userId = randomUUID()): Promise<Caller> {
      const token = await new SignJWT({ roles })
        .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'test' })
        .setSubject(userId)
        .setIssuer(settings.issuer)
        .setAudience(settings.audience)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(privateKey);
      return { userId, token };
    },
    close: () => server.close(),
  };
}

export const anonymous: Caller = { userId: '', token: undefined };

/** The fields of the SDL's Mutation type, so an authorization table can be checked for completeness. */
export function mutationFieldsOf(typeDefs: DocumentNode): string[] {
  return typeDefs.definitions.flatMap((definition) =>
    (definition.kind === Kind.OBJECT_TYPE_DEFINITION || definition.kind === Kind.OBJECT_TYPE_EXTENSION) && definition.name.value === 'Mutation'
      ? (definition.fields ?? []).map((field) => field.name.value)
      : [],
  );
}

/** The outcome of one GraphQL call as a matrix cell: 'ok' or the first error's code. */
export function outcomeOf(answer: GraphQLAnswer): string {
  return answer.errors?.length ? (answer.errors[0]?.extensions?.code ?? 'NO_CODE') : 'ok';
}
