import { z } from 'zod';
import { badInput } from './errors';

/** `first`/`after` arguments with a page-size cap; a larger `first` is a BAD_USER_INPUT, not a silent clamp. */
export function pageArgs(options: { max?: number; fallback?: number } = {}) {
  const max = options.max ?? 100;
  return z.object({
    first: z
      .number()
      .int()
      .min(1, 'first must be at least 1')
      .max(max, `first must be at most ${max}`)
      .default(options.fallback ?? 20),
    after: z.string().min(1).max(512).nullish(),
  });
}

/** Opaque cursors: base64url JSON of the sort key of the last row, decoded back with validation. */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<T extends z.ZodTuple>(cursor: string, shape: T): z.infer<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badInput('after is not a cursor this API issued');
  }
  const parsed = shape.safeParse(raw);
  if (!parsed.success) throw badInput('after is not a cursor this API issued');
  return parsed.data;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Builds a page from rows fetched with `take: first + 1`: the extra row only says another page exists. */
export function connectionFrom<T>(rows: readonly T[], first: number, cursorOf: (row: T) => readonly (string | number)[]): Connection<T> {
  const page = rows.slice(0, first);
  const edges = page.map((node) => ({ cursor: encodeCursor(cursorOf(node)), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null } };
}
