import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { breakingChanges, composeSupergraph } from './composition';
import { repoRoot, subgraphSources, supergraphFile } from './subgraphs';

/**
 * `npm run compose`: composes every subgraph's SDL into supergraph/supergraph.graphql and the
 * client-facing api-schema.graphql. `--check` fails when the committed files are stale; a change that
 * breaks a field clients use fails unless `--accept-breaking` says it is on purpose.
 */
const apiSchemaFile = path.join(repoRoot, 'supergraph', 'api-schema.graphql');
const args = new Set(process.argv.slice(2));
const check = args.has('--check');
const acceptBreaking = args.has('--accept-breaking');

const result = composeSupergraph(subgraphSources());
if (!result.ok) {
  console.error(`composition failed:\n  ${result.errors.join('\n  ')}`);
  process.exit(1);
}

const previousApi = existsSync(apiSchemaFile) ? readFileSync(apiSchemaFile, 'utf8') : undefined;
if (previousApi) {
  const breaking = breakingChanges(previousApi, result.apiSchema);
  if (breaking.length > 0 && !acceptBreaking) {
    console.error(`breaking changes to the client-facing schema:\n  ${breaking.map((change) => `${change.type}: ${change.description}`).join('\n  ')}`);
    console.error('re-run with `npm run compose -- --accept-breaking` if this is on purpose');
    process.exit(1);
  }
}

if (check) {
  const stale = [
    [supergraphFile, result.supergraphSdl],
    [apiSchemaFile, result.apiSchema],
  ].filter(([file, content]) => !existsSync(file!) || readFileSync(file!, 'utf8') !== content);
  if (stale.length > 0) {
    console.error(`stale: ${stale.map(([file]) => path.relative(repoRoot, file!)).join(', ')}; run \`npm run compose\` and commit the result`);
    process.exit(1);
  }
  console.log('supergraph is up to date');
} else {
  writeFileSync(supergraphFile, result.supergraphSdl);
  writeFileSync(apiSchemaFile, result.apiSchema);
  console.log(`wrote ${path.relative(repoRoot, supergraphFile)} and ${path.relative(repoRoot, apiSchemaFile)}`);
}
