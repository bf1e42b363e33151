import { readFileSync } from 'node:fs';
import { GraphQLError, GraphQLScalarType, Kind, parse, type DocumentNode } from 'graphql';

/** Reads a subgraph's SDL file; the SDL sits beside the resolvers and is what composition reads too. */
export function loadTypeDefs(file: string): DocumentNode {
  return parse(readFileSync(file, 'utf8'));
}

/** ISO-8601 timestamps in UTC, the one date format every subgraph speaks. */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An ISO-8601 date-time in UTC, e.g. 2026-11-24T07:00:00.000Z',
  serialize(value) {
    const date = value instanceof Date ? value : new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new GraphQLError('DateTime cannot represent an invalid date');
    return date.toISOString();
  },
  parseValue(value) {
    return parseDateTime(value);
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be a string', { extensions: { code: 'BAD_USER_INPUT' } });
    return parseDateTime(ast.value);
  },
});

function parseDateTime(value: unknown): Date {
  const date = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) throw new GraphQLError('DateTime must be an ISO-8601 string', { extensions: { code: 'BAD_USER_INPUT' } });
  return date;
}
