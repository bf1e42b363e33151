import { composeServices } from '@apollo/composition';
import { buildSchema, findBreakingChanges, lexicographicSortSchema, parse, printSchema, type BreakingChange } from 'graphql';
import type { SubgraphSource } from './subgraphs';

export type CompositionResult = { ok: true; supergraphSdl: string; apiSchema: string } | { ok: false; errors: string[] };

export function composeSupergraph(sources: SubgraphSource[]): CompositionResult {
  const result = composeServices(sources.map((source) => ({ name: source.name, url: source.url, typeDefs: parse(source.sdl) })));
  if (result.errors) return { ok: false, errors: result.errors.map((error) => error.message) };
  return {
    ok: true,
    supergraphSdl: `${result.supergraphSdl.trimEnd()}\n`,
    apiSchema: printSchema(lexicographicSortSchema(result.schema.toAPISchema().toGraphQLJSSchema())),
  };
}

/** Changes to the client-facing schema that would break a query clients already send. */
export function breakingChanges(previousApiSchema: string, nextApiSchema: string): BreakingChange[] {
  return findBreakingChanges(buildSchema(previousApiSchema), buildSchema(nextApiSchema));
}
