/**
 * A structural check of one msgpack value, run on the raw bytes before anything is decoded.
 *
 * msgpackr (like most decoders) trusts the bytes: an array header may announce 2^32 entries
 * in a 20-byte frame, nesting may go deep enough to overflow the stack of whatever walks the
 * value later, extension types turn into BigInts, Dates, Sets or class instances that the
 * encoder cannot write back, and a uint64 becomes a BigInt that JSON cannot print. The
 * protocol allows none of these, so the hub refuses them here, in one loop with no recursion
 * and no allocation proportional to anything the peer announced.
 */

/** How deep values (payloads, results, progress values, error details) may nest. */
export const MAX_VALUE_DEPTH = 32;

/**
 * Deepest nesting a client frame may have: a value inside `submit_many` sits three
 * containers down (frame map, `tasks` array, task map).
 */
export const MAX_FRAME_DEPTH = MAX_VALUE_DEPTH + 3;

export interface MsgpackProblem {
  message: string;
  /** Byte offset of the offending header. */
  offset: number;
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

function validUtf8(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    if (bytes[i]! >= 0x80) {
      try {
        fatalUtf8.decode(bytes.subarray(start, end));
        return true;
      } catch {
        return false;
      }
    }
  }
  return true;
}

// Uint32, not Float64: the counts are integers below the frame's length (a count beyond the
// bytes left is refused before it is stored), and the parity test below on a double compiles
// to a call to fmod rather than a bit test: a third of this loop's time on small frames.
let remainingStack = new Uint32Array(MAX_FRAME_DEPTH + 1);
let isMapStack = new Uint8Array(MAX_FRAME_DEPTH + 1);

const u16 = (b: Uint8Array, p: number): number => (b[p]! << 8) | b[p + 1]!;
const u32 = (b: Uint8Array, p: number): number =>
  b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
const i32 = (b: Uint8Array, p: number): number =>
  (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;

/** The largest integer every peer (JavaScript included) reads exactly. */
const SAFE_HI = 0x1fffff; // high 32 bits of Number.MAX_SAFE_INTEGER

/**
 * Check that `bytes` holds exactly one msgpack value of the plain kinds (nil, bool, int
 * within ±(2^53-1), float, str of valid UTF-8, bin, array, map with string keys), nested at
 * most `maxDepth` containers deep. Returns undefined when it does, or what is wrong.
 */
export function checkMsgpack(bytes: Uint8Array, maxDepth: number): MsgpackProblem | undefined {
  const end = bytes.byteLength;
  // remaining[d]: values still to read in the container open at depth d (maps count keys
  // and values, so a key is read whenever the count is even). Reused across calls: this
  // runs on every frame, and allocating typed arrays cost more than the scan itself.
  if (remainingStack.length < maxDepth + 1) {
    remainingStack = new Uint32Array(maxDepth + 1);
    isMapStack = new Uint8Array(maxDepth + 1);
  }
  const remaining = remainingStack;
  const isMap = isMapStack;
  let depth = 0;
  let deepest = 0;
  isMap[0] = 0;
  remaining[0] = 1;
  let pos = 0;
  while (depth >= 0) {
    const left = remaining[depth]!;
    if (left === 0) {
      depth--;
      continue;
    }
    if (pos >= end) return { message: 'frame ends in the middle of a value', offset: pos };
    const keyExpected = isMap[depth] === 1 && (left & 1) === 0;
    remaining[depth] = left - 1;
    const at = pos;
    const b = bytes[pos++]!;
    let strLen = -1;
    let binLen = -1;
    let children = -1;
    let map = false;
    if (b <= 0x7f || b >= 0xe0) {
      // fixint
    } else if (b <= 0x8f) {
      children = (b & 0x0f) * 2;
      map = true;
    } else if (b <= 0x9f) {
      children = b & 0x0f;
    } else if (b <= 0xbf) {
      strLen = b & 0x1f;
    } else {
      const need = HEADER_EXTRA[b - 0xc0]!;
      if (need < 0) return { message: describeRefused(b, bytes, pos), offset: at };
      if (pos + need > end) return { message: 'frame ends inside a value header', offset: at };
      switch (b) {
        case 0xc0:
        case 0xc2:
        case 0xc3:
        case 0xca:
        case 0xcb:
        case 0xcc:
        case 0xcd:
        case 0xce:
        case 0xd0:
        case 0xd1:
        case 0xd2:
          break;
        case 0xcf:
          if (u32(bytes, pos) > SAFE_HI)
            return { message: 'uint64 beyond 2^53-1 (not exactly representable)', offset: at };
          break;
        case 0xd3: {
          const hi = i32(bytes, pos);
          const lo = u32(bytes, pos + 4);
          const ok = hi >= 0 ? hi <= SAFE_HI : hi > -SAFE_HI - 1 || (hi === -SAFE_HI - 1 && lo > 0);
          if (!ok)
            return { message: 'int64 beyond ±(2^53-1) (not exactly representable)', offset: at };
          break;
        }
        case 0xc4:
          binLen = bytes[pos]!;
          break;
        case 0xc5:
          binLen = u16(bytes, pos);
          break;
        case 0xc6:
          binLen = u32(bytes, pos);
          break;
        case 0xd9:
          strLen = bytes[pos]!;
          break;
        case 0xda:
          strLen = u16(bytes, pos);
          break;
        case 0xdb:
          strLen = u32(bytes, pos);
          break;
        case 0xdc:
          children = u16(bytes, pos);
          break;
        case 0xdd:
          children = u32(bytes, pos);
          break;
        case 0xde:
          children = u16(bytes, pos) * 2;
          map = true;
          break;
        case 0xdf:
          children = u32(bytes, pos) * 2;
          map = true;
          break;
      }
      pos += need;
    }
    if (keyExpected && strLen < 0) return { message: 'map keys must be strings', offset: at };
    if (strLen >= 0) {
      if (strLen > end - pos)
        return { message: `string of ${strLen} bytes announced, ${end - pos} left`, offset: at };
      if (!validUtf8(bytes, pos, pos + strLen))
        return { message: 'string is not valid UTF-8', offset: at };
      pos += strLen;
    } else if (binLen >= 0) {
      if (binLen > end - pos)
        return { message: `binary of ${binLen} bytes announced, ${end - pos} left`, offset: at };
      pos += binLen;
    } else if (children >= 0) {
      // Every entry takes at least one byte: a header announcing more than is left is a
      // length bomb, refused before anything sized by it exists.
      if (children > end - pos)
        return {
          message: `${map ? 'map' : 'array'} of ${map ? children / 2 : children} entries announced in ${end - pos} bytes`,
          offset: at,
        };
      if (children > 0) {
        if (depth + 1 > maxDepth)
          return { message: `nested deeper than ${maxDepth} levels`, offset: at };
        depth++;
        if (depth > deepest) deepest = depth;
        remaining[depth] = children;
        isMap[depth] = map ? 1 : 0;
      }
    }
  }
  if (pos !== end) return { message: `${end - pos} bytes after the end of the frame`, offset: pos };
  lastDepth = deepest;
  return undefined;
}

let lastDepth = 0;

/**
 * How deep the containers of the last value checkMsgpack accepted went (the frame map is 1).
 * A frame no deeper than MAX_VALUE_DEPTH + 1 cannot hold a value too deep, so the exact
 * per-value check can be skipped for nearly every frame.
 */
export function lastCheckedDepth(): number {
  return lastDepth;
}

/** Bytes after the type byte for 0xc0..0xdf; -1 = refused type. */
const HEADER_EXTRA: readonly number[] = [
  0, // c0 nil
  -1, // c1 never used
  0, // c2 false
  0, // c3 true
  1, // c4 bin8
  2, // c5 bin16
  4, // c6 bin32
  -1, // c7 ext8
  -1, // c8 ext16
  -1, // c9 ext32
  4, // ca float32
  8, // cb float64
  1, // cc uint8
  2, // cd uint16
  4, // ce uint32
  8, // cf uint64
  1, // d0 int8
  2, // d1 int16
  4, // d2 int32
  8, // d3 int64
  -1, // d4 fixext1
  -1, // d5 fixext2
  -1, // d6 fixext4
  -1, // d7 fixext8
  -1, // d8 fixext16
  1, // d9 str8
  2, // da str16
  4, // db str32
  2, // dc array16
  4, // dd array32
  2, // de map16
  4, // df map32
];

function describeRefused(b: number, bytes: Uint8Array, pos: number): string {
  if (b === 0xc1) return 'type byte 0xc1 is never used in msgpack';
  const hex = `0x${b.toString(16)}`;
  // fixext carries its type right after the header byte; ext8/16/32 after the length.
  const typeAt = b >= 0xd4 ? pos : pos + (b === 0xc7 ? 1 : b === 0xc8 ? 2 : 4);
  const type = typeAt < bytes.byteLength ? (bytes[typeAt]! << 24) >> 24 : undefined;
  const name = type === undefined ? '' : (EXT_NAMES[type] ?? `type ${type}`);
  return `extension types are not part of the protocol (${hex}${name ? `, ${name}` : ''})`;
}

/** Names of the extension types other encoders (msgpackr above all) produce, for messages. */
const EXT_NAMES: Record<number, string> = {
  [-1]: 'timestamp',
  0: 'undefined',
  0x42: 'BigInt',
  0x65: 'Error',
  0x69: 'structured clone',
  0x70: 'record (shared structure)',
  0x72: 'record definition',
  0x73: 'Set',
  0x74: 'typed array',
  0x78: 'RegExp',
};
