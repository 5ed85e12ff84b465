/**
 * The deepest nesting of arrays and objects in a JSON text, found without recursion and
 * without parsing: one pass over the characters, skipping strings. Stops early (returns
 * `> max`) at the first bracket beyond `max`, so a 10,000-deep body costs as little as a
 * flat one. Run before JSON.parse: whatever walks the parsed value later (zod, the msgpack
 * encoder) recurses, and a deep enough value would overflow its stack.
 *
 * @returns the depth reached (capped at max + 1) and the offset where `max` was exceeded
 */
export function jsonDepth(text: string, max: number): { depth: number; offset: number } {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > max) return { depth: deepest, offset: i };
      }
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return { depth: deepest, offset: -1 };
}
