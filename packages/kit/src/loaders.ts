import DataLoader from 'dataloader';

/**
 * One query per request for every id a plan asks for: entity references and nested lists resolve in
 * a fixed number of statements however many parents there are. Missing ids resolve to null.
 */
export function loaderById<T>(fetch: (ids: readonly string[]) => Promise<readonly T[]>, idOf: (row: T) => string): DataLoader<string, T | null> {
  return new DataLoader(async (ids: readonly string[]) => {
    const found = new Map((await fetch(ids)).map((row) => [idOf(row), row]));
    return ids.map((id) => found.get(id) ?? null);
  });
}

/** Like loaderById, for one-to-many: every parent id gets its (possibly empty) list of children. */
export function loaderOfLists<T>(fetch: (ids: readonly string[]) => Promise<readonly T[]>, parentIdOf: (row: T) => string): DataLoader<string, T[]> {
  return new DataLoader(async (ids: readonly string[]) => {
    const grouped = new Map<string, T[]>(ids.map((id) => [id, []]));
    for (const row of await fetch(ids)) grouped.get(parentIdOf(row))?.push(row);
    return ids.map((id) => grouped.get(id) ?? []);
  });
}
