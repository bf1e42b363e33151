import type { z } from 'zod';
import { badInput } from './errors';

/** Validates untrusted input; the BAD_USER_INPUT error lists each field that failed and why. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields = result.error.issues.map((issue) => ({ field: issue.path.join('.') || '(body)', message: issue.message }));
  throw badInput(fields.map((f) => `${f.field}: ${f.message}`).join('; '), { fields });
}
