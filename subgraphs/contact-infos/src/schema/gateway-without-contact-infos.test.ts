import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import type { GatewayContext } from '@x/kit';
import { parse } from 'graphql';
import { composeSupergraph } from '../../../../supergraph/src/composition';
import { ForwardingDataSource, keepAliveFetcher } from '../../../../supergraph/src/data-source';
import { startSubgraphHarness, type SubgraphHarness } from '../../../../test/support/subgraph-harness';

/**
 * Where no MongoDB runs, `npm start` skips contact-infos while the composed supergraph still names it.
 * The gateway must then answer everything else: the real gateway data source, the real user and
 * contact-infos SDLs, user served in-process (with stand-in resolvers) and contact-infos not listening.
 */
const userSdl = readFileSync(path.resolve(__dirname, '../../../user/src/schema/schema.graphql'), 'utf8');
const userId = '7f1c5d2e-3b4a-4c6d-8e9f-0a1b2c3d4e5f';

let user: SubgraphHarness;
let server: ApolloServer<GatewayContext>;
let closeFetcher: () => Promise<void>;

async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  user = await startSubgraphHarness({
    name: 'user',
    typeDefs: parse(userSdl),
    resolvers: {
      Query: { me: () => ({ id: userId }) },
      User: { __resolveReference: (reference: { id: string }) => reference, profile: () => ({ displayName: 'Ada', createdAt: new Date(), updatedAt: new Date() }) },
    },
    context: (base) => base,
  });
  const composed = composeSupergraph([
    { name: 'user', url: user.url, sdl: userSdl },
    { name: 'contact-infos', url: `http://127.0.0.1:${await closedPort()}/graphql`, sdl: readFileSync(path.resolve(__dirname, 'schema.graphql'), 'utf8') },
  ]);
  if (!composed.ok) throw new Error(composed.errors.join('\n'));
  const { fetcher, close } = keepAliveFetcher();
  closeFetcher = close;
  const gateway = new ApolloGateway({ supergraphSdl: composed.supergraphSdl, buildService: ({ url }) => new ForwardingDataSource({ url, fetcher }) });
  server = new ApolloServer<GatewayContext>({ gateway, includeStacktraceInErrorResponses: false });
  await server.start();
});

afterAll(async () => {
  await server.stop();
  await closeFetcher();
  await user.close();
});

async function execute(query: string) {
  const response = await server.executeOperation({ query }, { contextValue: { correlationId: 'test', forwardedHeaders: {} } });
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  return response.body.singleResult;
}

describe('the gateway while contact-infos is down', () => {
  it('answers the fields of other subgraphs and nulls only the contact-infos fields, with an error', async () => {
    const result = await execute('{ me { id profile { displayName } addresses { city } phones { number } } }');
    expect(result.data).toEqual({ me: { id: userId, profile: { displayName: 'Ada' }, addresses: null, phones: null } });
    // @apollo/gateway reports the failed fetch as one error without a path; the message is the fetcher's
    // ("fetch failed" from undici), so it does not name the subgraph (a data-source concern, see data-source.ts).
    expect(result.errors).toEqual([expect.objectContaining({ message: expect.any(String) })]);
  });

  it('answers a query without contact-infos fields with no error at all', async () => {
    expect(await execute('{ me { id profile { displayName } } }')).toEqual({ data: { me: { id: userId, profile: { displayName: 'Ada' } } } });
  });

  it('fails a contact-infos mutation with an error, not a hang', async () => {
    const result = await execute('mutation { removePhone(owner: { type: USER, id: "7f1c5d2e-3b4a-4c6d-8e9f-0a1b2c3d4e5f" }, phoneId: "7f1c5d2e-3b4a-4c6d-8e9f-0a1b2c3d4e5f") { phones { id } } }');
    expect(result.data).toBeNull();
    expect(result.errors).toHaveLength(1);
  });
});
