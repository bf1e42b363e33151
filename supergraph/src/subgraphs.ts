import { readFileSync } from 'node:fs';
import path from 'node:path';
import { liveServices } from '@x/kit';

export const repoRoot = path.resolve(__dirname, '../..');
export const supergraphFile = path.join(repoRoot, 'supergraph', 'supergraph.graphql');

export interface SubgraphSource {
  name: string;
  url: string;
  sdl: string;
}

/** Every live service's SDL, read from the file beside its resolvers: composition never introspects. */
export function subgraphSources(): SubgraphSource[] {
  return liveServices().map((service) => ({
    name: service.name,
    url: `http://127.0.0.1:${service.port}/graphql`,
    sdl: readFileSync(path.join(repoRoot, 'subgraphs', service.name, 'src', 'schema', 'schema.graphql'), 'utf8'),
  }));
}
