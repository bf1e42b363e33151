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
}

function areaOf(frame: ProfileNode['callFrame']): string {
  if (frame.functionName === '(garbage collector)') return 'GC';
  if (frame.functionName === '(program)') return '(program: native, parser, compiler)';
  const url = frame.url;
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/packages/kit/')) return '@x/kit';
  if (url.includes('/supergraph/')) return '@x/supergraph (gateway code)';
  if (url === '') return '(native / builtins)';
  return url;
}

/** Self time by area and by function from the newest .cpuprofile in `dir`. */
export function summarizeProfile(dir: string): ProfileSummary | undefined {
  const files = readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'));
  if (files.length === 0) return undefined;
  const file = path.join(dir, files.sort().at(-1)!);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] };
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, { name: string; area: string; hits: number }>();
  let total = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0 || node.callFrame.functionName === '(idle)') continue;
    total += hits;
    const area = areaOf(node.callFrame);
    byArea.set(area, (byArea.get(area) ?? 0) + hits);
    const name = `${node.callFrame.functionName || '(anonymous)'} ${path.basename(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
    const entry = byFunction.get(name) ?? { name, area, hits: 0 };
    entry.hits += hits;
    byFunction.set(name, entry);
  }
  const percent = (hits: number) => Math.round((1000 * hits) / Math.max(1, total)) / 10;
  return {
    file,
    samples: total,
    areas: [...byArea.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([area, hits]) => ({ area, percent: percent(hits) })),
    functions: [...byFunction.values()].sort((a, b) => b.hits - a.hits).slice(0, 12).map((f) => ({ name: f.name, area: f.area, percent: percent(f.hits) })),
  };
}
