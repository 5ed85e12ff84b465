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
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Skip the string with indexOf (native, not a loop here): a body of fact hashes or
      // payload text is mostly strings, and this took as long as JSON.parse itself. A quote
      // ends the string unless an odd number of backslashes precedes it.
      let end = i;
      for (;;) {
        end = text.indexOf('"', end + 1);
        if (end < 0) return { depth: deepest, offset: -1 }; // unterminated: JSON.parse says so
        let slashes = 0;
        while (text.charCodeAt(end - 1 - slashes) === 0x5c /* \ */) slashes++;
        if (slashes % 2 === 0) break;
      }
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > max) return { depth: deepest, offset: i };
      }
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return { depth: deepest, offset: -1 };
}
