import { jsonDepth } from './json-depth.js';
import { FEDERATION_BOUNDS } from '../../protocol/federation-api.js';

/**
 * A push body read the fast way: `summary.fact_hashes` found in the bytes, its 64-character
 * lowercase hex strings (agmem's SHA-256) decoded straight into `packed`, 32 bytes each, and
 * the rest of the body (any other hashes included) parsed by JSON.parse as `json`. The
 * route validates `json` with the same zod schema; `raw` is the body as it came, for the
 * plain path when anything is refused (so every error is the one the plain path gives).
 */
export class PackedPushBody {
  constructor(
    readonly json: unknown,
    readonly packed: Uint8Array,
    readonly raw: Buffer,
  ) {}
}

/**
 * Why: at 1,000 hashes a push, JSON.parse made 1,000 strings, zod ran its pattern over each,
 * and the core then read each one again to find it in its table: most of a push's hub time,
 * for 64 bytes of hex that the table keeps as 32 bytes anyway. Here each is two table lookups
 * a byte, and no string is made.
 *
 * The fast path is taken only when the body's shape is plain: one top-level `summary`
 * object, one `fact_hashes` key in it, no key with an escape (`"fact\u005fhashes"` would be
 * the same key), an array of strings only. Anything else (a number in the array, a second
 * `summary`, a truncated body) answers undefined, and the body takes the plain path:
 * JSON.parse and zod over all of it, with their errors. What is cut out is a run of string
 * elements of one array, so when the rest parses, the whole body parses to the same value
 * with those strings in that array: the same summary, as bytes.
 */
export function decodePushBody(raw: Buffer, maxJsonDepth: number): PackedPushBody | undefined {
  const b = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  const found = findFactHashes(b);
  if (found === undefined) return undefined;
  const { start, end, hashes } = found;
  // Over the bound: the plain path says so, naming the field.
  if (hashes.count + hashes.others.length > FEDERATION_BOUNDS.factHashesPerSummary)
    return undefined;
  let list = '';
  for (let k = 0; k < hashes.others.length; k += 2)
    list += (k === 0 ? '' : ',') + raw.toString('utf8', hashes.others[k], hashes.others[k + 1]);
  const text = `${raw.toString('utf8', 0, start)}[${list}]${raw.toString('utf8', end)}`;
  // The same depth as the whole body (an array of strings either way); a refusal's offset
  // would not be, so the plain path gives it.
  if (jsonDepth(text, maxJsonDepth).depth > maxJsonDepth) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  return new PackedPushBody(json, hashes.packed.subarray(0, hashes.count * 32), raw);
}

interface DecodedHashes {
  /** 32 bytes per hex hash, `count` of them (the buffer is an upper bound). */
  packed: Uint8Array;
  count: number;
  /** [start, end) of each other string element, pairs flattened. */
  others: number[];
}

/**
 * The array of strings at `i` (its `[`): hex hashes decoded, other strings' places noted.
 * Returns the offset after the `]`, or -1 for anything but an array of strings.
 */
function decodeArray(b: Uint8Array, i: number, out: DecodedHashes): number {
  const close = b.indexOf(RBRACKET, i);
  if (close < 0) return -1;
  // An upper bound until the first `]` (a `]` inside a string makes the array longer, and
  // its hex strings fewer per byte): 66 bytes and a comma per hex string.
  let capacity = Math.ceil((close - i) / 67);
  out.packed = new Uint8Array(capacity * 32);
  let dst = new DataView(out.packed.buffer);
  const src = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let n = 0;
  i = skipSpace(b, i + 1);
  if (b[i] === RBRACKET) return i + 1;
  for (;;) {
    if (b[i] !== QUOTE) return -1;
    if (n === capacity) {
      capacity *= 2;
      const grown = new Uint8Array(capacity * 32);
      grown.set(out.packed);
      out.packed = grown;
      dst = new DataView(grown.buffer);
    }
    let next: number;
    if (b[i + 65] === QUOTE && decodeHex(src, i + 1, dst, n * 32)) {
      n++;
      next = i + 66;
    } else {
      next = stringEnd(b, i);
      if (next < 0) return -1;
      out.others.push(i, next);
    }
    i = skipSpace(b, next);
    if (b[i] === COMMA) i = skipSpace(b, i + 1);
    else if (b[i] === RBRACKET) {
      out.count = n;
      return i + 1;
    } else return -1;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

/**
 * Two bytes (the first in the low 8 bits) → the byte their two lowercase hex digits spell,
 * or -256 (negative: one OR over a hash's lookups says whether any was not hex).
 */
const HEX_PAIR = new Int16Array(65536).fill(-256);
{
  const digit = (c: number): number =>
    c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
  for (let hi = 0; hi < 256; hi++)
    for (let lo = 0; lo < 256; lo++)
      if (digit(hi) >= 0 && digit(lo) >= 0) HEX_PAIR[hi | (lo << 8)] = digit(hi) * 16 + digit(lo);
}

/**
 * 64 lowercase hex digits at `at` into 32 bytes at `o`; false (those bytes then garbage) if
 * they are not. Eight characters a step, read as two words and written as one: a byte at a
 * time, this loop was most of a push's edge time.
 */
function decodeHex(src: DataView, at: number, dst: DataView, o: number): boolean {
  let bad = 0;
  for (let j = 0; j < 8; j++) {
    const c = src.getUint32(at + 8 * j, true);
    const d = src.getUint32(at + 8 * j + 4, true);
    const b0 = HEX_PAIR[c & 0xffff]!;
    const b1 = HEX_PAIR[c >>> 16]!;
    const b2 = HEX_PAIR[d & 0xffff]!;
    const b3 = HEX_PAIR[d >>> 16]!;
    bad |= b0 | b1 | b2 | b3;
    dst.setUint32(o + 4 * j, b0 | (b1 << 8) | (b2 << 16) | (b3 << 24), true);
  }
  return bad >= 0;
}

function skipSpace(b: Uint8Array, i: number): number {
  for (;;) {
    const c = b[i];
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
    else return i;
  }
}

/** The offset after the string whose opening quote is at `i`, or -1 when it never ends. */
function stringEnd(b: Uint8Array, i: number): number {
  let end = i;
  for (;;) {
    end = b.indexOf(QUOTE, end + 1);
    if (end < 0) return -1;
    let slashes = 0;
    while (b[end - 1 - slashes] === BACKSLASH) slashes++;
    if ((slashes & 1) === 0) return end + 1;
  }
}

/**
 * The offset after the value at `i`, or -1. Not a validation (JSON.parse judges the text
 * afterwards): strings are skipped exactly as JSON delimits them, containers by counting
 * brackets outside strings, anything else up to the next delimiter.
 */
function valueEnd(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c === QUOTE) return stringEnd(b, i);
  if (c === LBRACE || c === LBRACKET) {
    let depth = 0;
    for (let j = i; j < b.length; j++) {
      const d = b[j];
      if (d === QUOTE) {
        const e = stringEnd(b, j);
        if (e < 0) return -1;
        j = e - 1;
      } else if (d === LBRACE || d === LBRACKET) depth++;
      else if ((d === RBRACE || d === RBRACKET) && --depth === 0) return j + 1;
    }
    return -1;
  }
  let j = i;
  for (; j < b.length; j++) {
    const d = b[j];
    if (d === COMMA || d === RBRACE || d === RBRACKET || d === 0x20 || d === 0x0a) break;
    if (d === 0x0d || d === 0x09) break;
  }
  return j > i ? j : -1;
}

/**
 * Walk the members of the object at `i` (its `{`), calling `member` with each key's bytes
 * and its value's offset; `member` returns the offset after the value, or -1 to give up.
 * Returns the offset after the `}`, or -1 (a key with an escape gives up too).
 */
function walkObject(
  b: Uint8Array,
  i: number,
  member: (keyStart: number, keyEnd: number, value: number) => number,
): number {
  if (b[i] !== LBRACE) return -1;
  i = skipSpace(b, i + 1);
  if (b[i] === RBRACE) return i + 1;
  for (;;) {
    if (b[i] !== QUOTE) return -1;
    const keyStart = i;
    const keyEnd = stringEnd(b, i);
    if (keyEnd < 0) return -1;
    for (let k = keyStart + 1; k < keyEnd - 1; k++) if (b[k] === BACKSLASH) return -1;
    i = skipSpace(b, keyEnd);
    if (b[i] !== COLON) return -1;
    const after = member(keyStart, keyEnd, skipSpace(b, i + 1));
    if (after < 0) return -1;
    i = skipSpace(b, after);
    if (b[i] === COMMA) i = skipSpace(b, i + 1);
    else if (b[i] === RBRACE) return i + 1;
    else return -1;
  }
}

function isKey(b: Uint8Array, start: number, end: number, key: Uint8Array): boolean {
  if (end - start !== key.length + 2) return false;
  for (let k = 0; k < key.length; k++) if (b[start + 1 + k] !== key[k]) return false;
  return true;
}

const SUMMARY = new TextEncoder().encode('summary');
const FACT_HASHES = new TextEncoder().encode('fact_hashes');

/**
 * Where `summary.fact_hashes` is, `[` to after `]`, with its strings decoded: only when the
 * body is plainly shaped (see decodePushBody).
 */
function findFactHashes(
  b: Uint8Array,
): { start: number; end: number; hashes: DecodedHashes } | undefined {
  let summaries = 0;
  let start = -1;
  let end = -1;
  const hashes: DecodedHashes = { packed: EMPTY, count: 0, others: [] };
  const top = walkObject(b, skipSpace(b, 0), (ks, ke, v) => {
    if (!isKey(b, ks, ke, SUMMARY)) return valueEnd(b, v);
    if (++summaries > 1) return -1;
    return walkObject(b, v, (ks2, ke2, v2) => {
      if (!isKey(b, ks2, ke2, FACT_HASHES)) return valueEnd(b, v2);
      if (start >= 0 || b[v2] !== LBRACKET) return -1;
      start = v2;
      end = decodeArray(b, v2, hashes);
      return end;
    });
  });
  if (top < 0 || start < 0 || skipSpace(b, top) !== b.length) return undefined;
  return { start, end, hashes };
}

const EMPTY = new Uint8Array(0);
