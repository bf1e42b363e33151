import { readFileSync } from 'node:fs';
import path from 'node:path';
import { breakingChanges, composeSupergraph } from './composition';
import { subgraphSources, supergraphFile } from './subgraphs';

describe('supergraph composition', () => {
  const result = composeSupergraph(subgraphSources());

  it('composes every live subgraph without errors', () => {
    expect(result).toMatchObject({ ok: true });
  });

  it('matches the committed supergraph.graphql and api-schema.graphql (run `npm run compose` after an SDL change)', () => {
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect(readFileSync(supergraphFile, 'utf8')).toBe(result.supergraphSdl);
    expect(readFileSync(path.join(path.dirname(supergraphFile), 'api-schema.graphql'), 'utf8')).toBe(result.apiSchema);
  });

  it('reports a removed field as a breaking change, and an added one as safe', () => {
    const before = 'type Query { me: User! }\ntype User { id: ID! email: String }';
    expect(breakingChanges(before, 'type Query { me: User! }\ntype User { id: ID! }').map((change) => change.type)).toEqual(['FIELD_REMOVED']);
    expect(breakingChanges(before, 'type Query { me: User! }\ntype User { id: ID! email: String name: String }')).toEqual([]);
  });

  it('reports composition errors instead of writing a broken supergraph', () => {
    const broken = composeSupergraph([
      { name: 'a', url: 'http://a/graphql', sdl: 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])\ntype Query { x: Int }' },
      { name: 'b', url: 'http://b/graphql', sdl: 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])\ntype Query { x: String }' },
    ]);
    expect(broken.ok).toBe(false);
  });
});
