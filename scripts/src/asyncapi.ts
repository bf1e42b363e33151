import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { asyncApiFile, buildAsyncApi, loadConsumers, renderAsyncApi, repoRoot } from './asyncapi-document';

/** npm run asyncapi: regenerates docs/asyncapi.yaml from the built contracts and handlers. */
function main(): void {
  const document = buildAsyncApi(loadConsumers('dist'));
  writeFileSync(asyncApiFile, renderAsyncApi(document));
  process.stdout.write(`wrote ${path.relative(repoRoot, asyncApiFile)}\n`);
}

main();
