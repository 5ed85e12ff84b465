import * as z from 'zod';
import { parseIso8601 } from './iso-8601.js';

/**
 * The filters of a task search and of the bulk actions (docs/dead-letters.md, "Task search"),
 * as REST takes them in a query string or a JSON body.
 */

/** How deep a `where` path may reach into a payload (`payload.a.b.c…`). */
export const WHERE_MAX_DEPTH = 8;
const WHERE_MAX_CHARS = 512;

export interface WhereClause {
  /** Field names below `payload`: `payload.customer.id=42` → ['customer', 'id']. */
  path: string[];
  /** Everything after the first `=`, as given. */
  raw: string;
}

/**
 * `payload.customerId=42` (the `payload.` prefix may be left out). Throws a RangeError that
 * says what is wrong.
 */
export function parseWhere(text: string): WhereClause {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new RangeError('where must be FIELD=VALUE, e.g. payload.customerId=42');
  const field = text.slice(0, eq).trim();
  const path = field.split('.');
  if (path[0] === 'payload') path.shift();
  if (path.length === 0 || path.some((p) => p === ''))
    throw new RangeError(`where field "${field}" is not a dotted path (payload.a.b)`);
  if (path.length > WHERE_MAX_DEPTH)
    throw new RangeError(`where field "${field}" is deeper than ${WHERE_MAX_DEPTH} levels`);
  return { path, raw: text.slice(eq + 1) };
}

/** A time in a query: Unix ms, or an ISO 8601 timestamp (UTC when it has no offset). */
export const queryTimeSchema = z
  .string()
  .max(40)
  .transform((text, ctx) => {
    const ms = /^\d{1,15}$/.test(text) ? Number(text) : parseIso8601(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: 'not Unix ms nor an ISO 8601 timestamp' });
      return z.NEVER;
    }
    return ms;
  })
  .meta({ description: 'Unix ms, or an ISO 8601 timestamp (UTC without an offset)' });

/** A time in a JSON body: Unix ms, or an ISO 8601 timestamp. */
export const bodyTimeSchema = z.union([
  z.number().int().min(0),
  z
    .string()
    .max(40)
    .transform((text, ctx) => {
      const ms = parseIso8601(text);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: 'not an ISO 8601 timestamp' });
        return z.NEVER;
      }
      return ms;
    }),
]);

export const whereSchema = z
  .string()
  .max(WHERE_MAX_CHARS)
  .transform((text, ctx) => {
    try {
      return parseWhere(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  })
  .meta({
    description: `payload field equality: payload.customerId=42 (dotted path, at most ${WHERE_MAX_DEPTH} levels); a value matches the string as given, or the number, true, false or null it spells`,
  });

export const errorCodeFilterSchema = z
  .string()
  .min(1)
  .max(128)
  .meta({ description: "the code of the task's last error, e.g. TIMEOUT, HANDLER_ERROR" });
