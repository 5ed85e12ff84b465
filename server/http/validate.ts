import type { z } from 'zod';
import { formatIssues } from '../../protocol/index.js';
import { badRequest } from './http-error.js';

/** Parse a request body or query with zod; a failure is a 400 naming every bad field. */
export function parseBody<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what = 'request body',
): z.infer<T> {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) {
    throw badRequest(`invalid ${what}: ${formatIssues(parsed.error.issues)}`, {
      issues: parsed.error.issues.map((i) => ({
        path: i.path.map(String).join('.'),
        message: i.message,
      })),
    });
  }
  return parsed.data;
}
