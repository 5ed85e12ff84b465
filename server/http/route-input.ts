import type { z } from 'zod';
import type { RequestContext } from './router.js';
import { parseBody } from './validate.js';

/**
 * A route's path parameters, validated with the schema its `doc.params` declares (a
 * failure is a 400 naming the parameter).
 */
export function parseParams<T extends z.ZodType>(schema: T, ctx: RequestContext): z.output<T> {
  return parseBody(schema, ctx.params, 'path parameter');
}

/** A route's query, validated with the schema its `doc.query` declares. */
export function parseQuery<T extends z.ZodType>(schema: T, ctx: RequestContext): z.output<T> {
  return parseBody(schema, Object.fromEntries(ctx.query), 'query');
}
