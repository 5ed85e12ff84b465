import * as z from 'zod';
import { MAX_VALUE_DEPTH } from './msgpack-check.js';

/**
 * How deep `value` nests, walked with an explicit stack: a JSON body nested 100,000 deep
 * parses fine but overflows the stack of anything recursive that touches it later (the
 * msgpack encoder, for one). Stops counting once past `limit`.
 */
export function valueDepth(value: unknown, limit: number): number {
  if (value === null || typeof value !== 'object') return 0;
  let deepest = 0;
  const stack: { v: object; d: number }[] = [{ v: value, d: 1 }];
  while (stack.length > 0) {
    const { v, d } = stack.pop()!;
    if (d > deepest) deepest = d;
    if (deepest > limit) return deepest;
    if (ArrayBuffer.isView(v)) continue;
    const children = Array.isArray(v) ? v : Object.values(v);
    for (let i = 0; i < children.length; i++) {
      const c: unknown = children[i];
      if (c !== null && typeof c === 'object') stack.push({ v: c, d: d + 1 });
    }
  }
  return deepest;
}

/**
 * Any value a producer or worker hands the hub (a payload, a result, a progress value,
 * error details): free-form, but nested at most MAX_VALUE_DEPTH levels, on every way in.
 * Values from frames are also checked byte by byte before decoding (msgpack-check.ts);
 * this rule is the one HTTP bodies meet.
 */
export const valueSchema = z.unknown().superRefine((value, ctx) => {
  if (
    value !== null &&
    typeof value === 'object' &&
    valueDepth(value, MAX_VALUE_DEPTH) > MAX_VALUE_DEPTH
  ) {
    ctx.addIssue({
      code: 'custom',
      message: `nested deeper than ${MAX_VALUE_DEPTH} levels`,
    });
  }
});
