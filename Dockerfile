# syntax=docker/dockerfile:1.7
# One image for every process of the platform; SERVICE picks which one runs (auth, user, …, gateway).
#   docker build -t x-platform . && docker run -e SERVICE=auth … x-platform
# The edge is real Kong in compose, so the local edge (kong/) is built but not run from this image.

FROM node:20-slim AS build
WORKDIR /app
COPY . .
# npm ci refuses lockfiles made on another platform (missing optional binaries); install resolves them.
RUN --mount=type=cache,target=/root/.npm npm install --no-audit --no-fund \
 && npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-slim
ENV NODE_ENV=production
# serviceNodeFlags and processEnvironment of scripts/src/platform.ts (why: see there); the gateway's own
# NODE_OPTIONS (compose, Kubernetes) replaces the first.
ENV NODE_OPTIONS=--max-semi-space-size=4 MALLOC_MMAP_THRESHOLD_=131072
WORKDIR /app
COPY --from=build --chown=node:node /app /app

COPY --chmod=755 <<'SH' /usr/local/bin/x-run
#!/bin/sh
# x-run [migrate|serve] <name>: starts the process named by the argument (or SERVICE). A MySQL service
# applies its migrations first, unless asked for one step: `migrate` only migrates (as the DDL user of
# MIGRATION_DATABASE_URL: a Kubernetes init container), `serve` only starts (with DATABASE_URL's data user).
set -eu
step=both
case "${1:-}" in migrate|serve) step=$1; shift ;; esac
name="${1:-${SERVICE:-}}"
[ -n "$name" ] || { echo "x-run: set SERVICE (or pass a name): gateway or a service of packages/kit/src/registry.ts" >&2; exit 64; }
if [ "$name" = gateway ]; then dir=supergraph; else dir="subgraphs/$name"; fi
[ -f "$dir/package.json" ] || { echo "x-run: no service named $name" >&2; exit 64; }
uses_mysql=no
if [ "$name" != gateway ] && node -e "process.exit(require('@x/kit').service(process.argv[1]).backing.includes('mysql') ? 0 : 1)" "$name"; then uses_mysql=yes; fi
if [ "$step" = migrate ]; then
  [ "$uses_mysql" = yes ] || { echo "x-run: $name has no MySQL database to migrate" >&2; exit 64; }
  exec node scripts/dist/migrate.js "$name"
fi
if [ "$step" = both ] && [ "$uses_mysql" = yes ]; then
  node scripts/dist/migrate.js "$name"
fi
exec node "$dir/$(node -p "require('./$dir/package.json').main")"
SH

ARG SERVICE=""
ENV SERVICE=${SERVICE}
USER node
CMD ["x-run"]
