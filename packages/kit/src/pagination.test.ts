import { z } from 'zod';
import { DomainError } from './errors';
import { connectionFrom, decodeCursor, encodeCursor, pageArgs } from './pagination';

describe('cursor pagination', () => {
  it('round-trips a sort key through an opaque cursor', () => {
    const cursor = encodeCursor(['2026-11-24T07:00:00.000Z', 'b1']);
    expect(decodeCursor(cursor, z.tuple([z.string(), z.string()]))).toEqual(['2026-11-24T07:00:00.000Z', 'b1']);
  });

  it('refuses a cursor it did not issue', () => {
    expect(() => decodeCursor('not-a-cursor', z.tuple([z.string()]))).toThrow(DomainError);
    expect(() => decodeCursor(encodeCursor([1]), z.tuple([z.string()]))).toThrow('after is not a cursor');
  });

  it('caps the page size with a clear error', () => {
    expect(pageArgs({ max: 50 }).safeParse({ first: 51 }).error?.issues[0]?.message).toBe('first must be at most 50');
    expect(pageArgs().parse({})).toEqual({ first: 20 });
  });

  it('says whether another page exists from one extra row', () => {
    const page = connectionFrom([{ id: 'a' }, { id: 'b' }, { id: 'c' }], 2, (row) => [row.id]);
    expect(page.edges.map((edge) => edge.node.id)).toEqual(['a', 'b']);
    expect(page.pageInfo).toEqual({ hasNextPage: true, endCursor: encodeCursor(['b']) });
    expect(connectionFrom([], 2, () => []).pageInfo).toEqual({ hasNextPage: false, endCursor: null });
  });
});
