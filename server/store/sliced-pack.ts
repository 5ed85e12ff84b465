import type { Packr } from 'msgpackr';

/**
 * msgpack of one value, produced piece by piece, so that a large state can be encoded a few
 * milliseconds at a time between the event loop's other work instead of in one pause.
 *
 * The bytes are exactly `packr.pack(value)`'s (test/store/sliced-pack.test.ts holds them
 * equal): plain objects and short arrays are walked here and their headers written the way
 * msgpackr writes them (a plain object always as a map 16), a long array is cut into runs of
 * elements that `packr` packs as an array whose header is dropped, and anything else is
 * packed by `packr` whole. For that to hold, `packr` must encode without shared state
 * (no records, no structures, no bundled strings), as the snapshot file's does.
 *
 * The value must not change while its pieces are taken: the WAL's compaction takes it from
 * the core's snapshot, which copies whatever the core changes in place
 * (test/core/snapshot-capture.test.ts).
 */
export function* slicedPack(
  packr: Packr,
  value: unknown,
  bytesPerPiece = 256 * 1024,
): Generator<Buffer> {
  const header = new Header();
  yield* walk(packr, value, header, { perPiece: bytesPerPiece });
  const rest = header.take();
  if (rest) yield rest;
}

/** Arrays up to this long are walked element by element (a snapshot's spine is short). */
const WALK_MAX = 64;

interface Pace {
  /** Bytes a piece aims at: a run of a long array's elements is sized toward it. */
  readonly perPiece: number;
}

function* walk(packr: Packr, value: unknown, header: Header, pace: Pace): Generator<Buffer> {
  if (Array.isArray(value)) {
    header.array(value.length);
    if (value.length <= WALK_MAX) {
      for (const element of value) yield* walk(packr, element, header, pace);
      return;
    }
    const flushed = header.take();
    if (flushed) yield flushed;
    // Per array, from a few elements: the last array's elements may have been far smaller.
    let run = 4;
    for (let i = 0; i < value.length;) {
      const n = Math.min(run, value.length - i);
      const bytes = packr.pack(value.slice(i, i + n));
      // Copied: pack() returns a view of the encoder's own buffer, which the next pack reuses.
      yield Buffer.from(bytes.subarray(arrayHeaderLength(bytes[0]!)));
      // Toward ~perPiece bytes a run, at most doubling: one large element among small ones
      // must not make the next run huge.
      run = Math.max(1, Math.min(2 * n, 65_536, Math.round((n * pace.perPiece) / bytes.length)));
      i += n;
    }
    return;
  }
  if (isPlainObject(value)) {
    const keys: string[] = [];
    // As msgpackr walks an object: own enumerable keys in for-in order, undefined values kept.
    for (const key in value) if (Object.hasOwn(value, key)) keys.push(key);
    header.map(keys.length);
    for (const key of keys) {
      header.leaf(packr.pack(key));
      yield* walk(packr, value[key], header, pace);
    }
    return;
  }
  header.leaf(packr.pack(value));
  if (header.length >= pace.perPiece) yield header.take()!;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  // Not a null-prototype object: msgpackr takes those another way; packed whole, it is the same.
  return Object.getPrototypeOf(value) === Object.prototype;
}

/** Bytes of the array header msgpack starts `first` with (fixarray, array 16, array 32). */
function arrayHeaderLength(first: number): number {
  if ((first & 0xf0) === 0x90) return 1;
  if (first === 0xdc) return 3;
  if (first === 0xdd) return 5;
  throw new Error(`not a msgpack array (first byte 0x${first.toString(16)})`);
}

/** Small pieces (headers, keys, short leaves) gathered until they are worth a piece. */
class Header {
  private parts: Buffer[] = [];
  length = 0;

  array(n: number): void {
    if (n < 16) this.push(Buffer.from([0x90 | n]));
    else this.sized(0xdc, n);
  }

  map(n: number): void {
    // msgpackr writes every plain object as a map 16 (it throws above 65,535 keys; a map 32
    // reads back the same).
    this.sized(0xde, n);
  }

  /** A 16-bit header (`tag16`: array 16, map 16), or its 32-bit form (the next tag) above that. */
  private sized(tag16: number, n: number): void {
    if (n < 0x10000) {
      this.push(Buffer.from([tag16, n >> 8, n & 0xff]));
      return;
    }
    const b = Buffer.allocUnsafe(5);
    b[0] = tag16 + 1;
    b.writeUInt32BE(n, 1);
    this.push(b);
  }

  leaf(bytes: Uint8Array): void {
    this.push(Buffer.from(bytes));
  }

  take(): Buffer | undefined {
    if (this.length === 0) return undefined;
    const out = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.length);
    this.parts = [];
    this.length = 0;
    return out;
  }

  private push(b: Buffer): void {
    this.parts.push(b);
    this.length += b.length;
  }
}
