#!/usr/bin/env node
// Generates every Prisma client and table types (prisma/<service>/schema.prisma and the kit's test schema);
// generator commands such as prisma-kysely are found in node_modules/.bin.
// Generation runs in Wasm; the CLI still insists on locating the Rust schema engine, which cannot be
// downloaded here, so it is pointed at a stand-in that refuses to run: any command that would really
// need the engine (migrate, db push) fails loudly instead of silently doing nothing.
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync, statSync, writeFileSync, mkdirSync, chmodSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const schemas = readdirSync(path.join(root, 'prisma'))
  .map((name) => path.join(root, 'prisma', name, 'schema.prisma'))
  .filter((file) => existsSync(file));
const kitTestSchema = path.join(root, 'packages/kit/test/prisma/schema.prisma');
if (existsSync(kitTestSchema)) schemas.push(kitTestSchema);

const standIn = path.join(root, '.x', 'no-schema-engine');
mkdirSync(path.dirname(standIn), { recursive: true });
writeFileSync(standIn, '#!/bin/sh\necho "the Prisma schema engine is not installed here: migrations are applied by the platform\'s runner (see README)" >&2\nexit 1\n');
chmodSync(standIn, 0o755);

const prismaCli = require.resolve('prisma/build/index.js', { paths: [root] });
for (const schema of schemas) {
  const output = outputOf(schema);
  if (output && isFresh(schema, output)) continue;
  try {
    execFileSync(process.execPath, [prismaCli, 'generate', '--schema', schema], {
      cwd: root,
      stdio: 'pipe',
      env: { ...process.env, PATH: `${path.join(root, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH ?? ''}`, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? standIn, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    });
  } catch (error) {
    process.stderr.write(`prisma generate failed for ${path.relative(root, schema)}:\n${error.stdout ?? ''}${error.stderr ?? ''}\n`);
    process.exit(1);
  }
}

function outputOf(schema) {
  const match = /output\s*=\s*"([^"]+)"/.exec(require('node:fs').readFileSync(schema, 'utf8'));
  return match ? path.resolve(path.dirname(schema), match[1]) : undefined;
}

function isFresh(schema, output) {
  const marker = path.join(output, 'tables.ts');
  return existsSync(marker) && statSync(marker).mtimeMs >= statSync(schema).mtimeMs;
}
