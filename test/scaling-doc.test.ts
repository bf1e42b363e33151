import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * docs/scaling.md quotes bench figures by their name in bench/results.json (`a.b[2].c` = value) and
 * names the run they come from. The names must exist in every run; the values must match while the
 * quoted run is the current one (after a new run the doc's arithmetic is redone by hand).
 */

const root = path.resolve(__dirname, '..');
const doc = readFileSync(path.join(root, 'docs', 'scaling.md'), 'utf8');
const results = JSON.parse(readFileSync(path.join(root, 'bench', 'results.json'), 'utf8')) as Record<string, unknown>;

function lookup(name: string): unknown {
  let value: unknown = results;
  for (const step of name.match(/[^.[\]]+/g) ?? []) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[step];
  }
  return value;
}

const quoted = [...doc.matchAll(/`([A-Za-z][\w-]*(?:\[\d+\])?(?:\.[\w-]+(?:\[\d+\])?)+)`\s*=\s*([\d.]+)/g)].map(([, name = '', value = '']) => ({ name, value: Number(value) }));
const quotedRun = /the run that started `([^`]+)`/.exec(doc)?.[1];

describe('docs/scaling.md', () => {
  it('quotes its measured figures by name, from a run it names', () => {
    expect(quoted.length).toBeGreaterThan(20);
    expect(quotedRun).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('quotes only names that bench/results.json has', () => {
    expect(quoted.filter(({ name }) => typeof lookup(name) !== 'number').map(({ name }) => name)).toEqual([]);
  });

  it('quotes the values of the run it names, while that run is the current one', () => {
    if (results.startedAt !== quotedRun) return;
    expect(quoted.filter(({ name, value }) => lookup(name) !== value).map(({ name, value }) => `${name}: doc ${value}, results.json ${String(lookup(name))}`)).toEqual([]);
  });
});
