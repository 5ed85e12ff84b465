import { SortedChunks, type SortedStrings } from './sorted-chunks.js';
import { FingerprintTable } from './fingerprint-table.js';

/**
 * The fact hashes of one federation, each held once, with the number of agents whose
 * current summary names it, and the sorted list of them all kept up to date incrementally.
 *
 * Why ids: at 10,000 agents of 1,000 hashes, holding each agent's hashes as strings is ten
 * million strings (~800 MB); here each distinct hash is one string, and an agent's summary
 * is a Uint32Array of ids into this table (4 bytes a hash). The snapshot writes the same
 * shape (the strings once, each agent's ids as bytes), so it stays ~50 MB, not ~650 MB.
 *
 * Why the sorted list is kept, not rebuilt: `pull` answers with every distinct hash in
 * order. Sorting them on every pull is the reference's cost (O(total hashes) to collect,
 * O(n log n) to sort); here a hash that appears or goes is put in or taken out of its place
 * in sorted chunks (sorted-chunks.ts) as it happens, and a pull reads the chunks as they are.
 */
export class FactTable {
  /** id → hash; undefined for a free id. */
  private readonly hashes: (string | undefined)[] = [];
  /** hash → id (fingerprint-table.ts says why not a Map). */
  private readonly index = new FingerprintTable();
  /**
   * ROW words per id: [0..7] a hex hash's 32 bytes (what a lookup compares, so it touches
   * the row and not the string), [8] how many summaries hold it, [9] the last `acquire` that
   * met it (each hash counts once per summary), [10] its fingerprint (what `drop` needs to
   * find its slot without reading the string). A lookup then costs two cache misses, the
   * slot and the row, where a Map costs three or four.
   */
  private rows = new Uint32Array(1024 * ROW);
  /** The bytes of a hex hash given as a string, and the same memory as words. */
  private readonly scratchBytes = new Uint8Array(32);
  private readonly scratch = new Uint32Array(this.scratchBytes.buffer);
  /** `lookAhead`'s answers (grown as needed, kept: a push would allocate it otherwise). */
  private ahead = new Int32Array(1024);
  private pass = 0;
  private readonly free: number[] = [];
  private live = 0;

  /** Every held hash in order; undefined after a restore until first read (one sort then). */
  private order: SortedChunks | undefined = new SortedChunks();

  /**
   * @param seed where a hash sits in the index (never an id or a result): the hub passes a
   *   secret one (CoreOptions.hashSeed) so that agents cannot line their hashes up on one
   *   probe chain; the core itself draws nothing.
   */
  constructor(private readonly seed = 0) {}

  /** Distinct hashes held. */
  get size(): number {
    return this.live;
  }

  /**
   * Hold the hashes of one summary: each distinct one counts once for it, however often it
   * is listed. `packed` holds more of them, 64-character lowercase hex hashes as their 32
   * bytes each, back to back (what the HTTP edge decodes from the body: no string is made
   * for a hash the table already holds). Returns their ids, to hand back to `release`.
   */
  acquire(hashes: readonly string[], packed?: Uint8Array): Uint32Array {
    if (++this.pass === 0xffffffff) {
      for (let i = SEEN; i < this.rows.length; i += ROW) this.rows[i] = 0;
      this.pass = 1;
    }
    const packedCount = packed === undefined ? 0 : packed.length >>> 5;
    const out = new Uint32Array(hashes.length + packedCount);
    let n = 0;
    if (packedCount > 0) {
      const words = wordsOf(packed!, packedCount);
      const found = this.lookAhead(words, packedCount);
      for (let i = 0; i < packedCount; i++) {
        const hit = found[i]!;
        const id = hit >= 0 ? this.count(hit) : this.meetHex(words, i * 8, undefined);
        if (id >= 0) out[n++] = id;
      }
    }
    const scratch = this.scratch;
    for (let i = 0; i < hashes.length; i++) {
      const hash = hashes[i]!;
      const id =
        hash.length === 64 && parseHex(hash, this.scratchBytes)
          ? this.meetHex(scratch, 0, hash)
          : this.meetOther(hash);
      if (id >= 0) out[n++] = id;
    }
    return n === out.length ? out : out.slice(0, n);
  }

  /** Let go of a summary's hashes (ids from `acquire`); a hash no summary holds is dropped. */
  release(ids: Uint32Array): void {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (--this.rows[id * ROW + REFS]! > 0) continue;
      const hash = this.hashes[id]!;
      this.drop(id);
      this.live--;
      this.order?.remove(hash);
    }
  }

  hashOf(id: number): string {
    return this.hashes[id]!;
  }

  /**
   * Every held hash, in UTF-16 code unit order (JavaScript's string order: the same as
   * Python's `sorted()` for every hash outside the astral planes), as sorted chunks whose
   * versions say which changed since a reader last looked.
   */
  sorted(): SortedStrings {
    if (this.order === undefined) {
      const all: string[] = [];
      for (const h of this.hashes) if (h !== undefined) all.push(h);
      this.order = SortedChunks.fromSorted(all.sort(byCodeUnits));
    }
    return this.order;
  }

  /** Ids in use or free: the length of the snapshot's table. */
  get slots(): number {
    return this.hashes.length;
  }

  /** id → hash, with null for a free id: the snapshot's form (ids in summaries stay valid). */
  snapshot(): (string | null)[] {
    // A loop into a sized array: map() with a callback took 2-6 times as long at 8,000,000.
    const n = this.hashes.length;
    const out = new Array<string | null>(n);
    for (let i = 0; i < n; i++) out[i] = this.hashes[i] ?? null;
    return out;
  }

  /**
   * Refill from a snapshot: the table as written, then `hold` once per id each restored
   * summary names. Call `settle` after the last.
   */
  restore(hashes: readonly (string | null)[]): void {
    this.ensure(hashes.length);
    for (let id = 0; id < hashes.length; id++) {
      const h = hashes[id] ?? undefined;
      this.hashes[id] = h;
      if (h === undefined) continue;
      const row = id * ROW;
      let fp: number;
      if (h.length === 64 && parseHex(h, this.scratchBytes)) {
        fp = this.hexFingerprint(this.scratch, 0);
        this.rows.set(this.scratch, row);
      } else fp = this.otherFingerprint(h);
      this.rows[row + FP] = fp;
      this.index.add(fp, id);
    }
    this.order = undefined;
  }

  /** A restored summary's ids (already distinct). */
  hold(ids: Uint32Array): void {
    for (let i = 0; i < ids.length; i++) this.rows[ids[i]! * ROW + REFS]!++;
  }

  /** After a restore: ids no summary holds are free (a table written with no holes has none). */
  settle(): void {
    this.live = 0;
    for (let id = 0; id < this.hashes.length; id++) {
      const h = this.hashes[id];
      if (h !== undefined && this.rows[id * ROW + REFS]! > 0) {
        this.live++;
        continue;
      }
      if (h !== undefined) this.drop(id);
      else this.free.push(id);
    }
  }

  /**
   * The id of each of `count` hex hashes in `words` found at the first slot its fingerprint
   * matches, else -1 (not held, or further along its chain: `meetHex` then looks properly).
   *
   * Why in passes: at 100,000 held hashes the index and the rows are megabytes, and each
   * lookup is two cache misses, ~0.3 µs when one lookup's loads wait on the last's. Here
   * each pass's loads are independent of one another (all fingerprints; then a slot for
   * each; then a row for each), so the processor has many misses in flight at once.
   */
  private lookAhead(words: Uint32Array, count: number): Int32Array {
    if (this.ahead.length < count) this.ahead = new Int32Array(count * 2);
    const ahead = this.ahead;
    for (let i = 0; i < count; i++) ahead[i] = this.hexFingerprint(words, i * 8);
    const t = this.index;
    for (let i = 0; i < count; i++) {
      const fp = ahead[i]!;
      let slot = t.start(fp);
      let id = t.idAt(slot);
      while (id >= 0 && t.fingerprintAt(slot) !== fp) id = t.idAt((slot = t.next(slot)));
      ahead[i] = id;
    }
    const rows = this.rows;
    for (let i = 0; i < count; i++) {
      const id = ahead[i]!;
      if (id < 0) continue;
      const r = id * ROW;
      const at = i * 8;
      if (
        rows[r] !== words[at] ||
        rows[r + 1] !== words[at + 1] ||
        rows[r + 2] !== words[at + 2] ||
        rows[r + 3] !== words[at + 3] ||
        rows[r + 4] !== words[at + 4] ||
        rows[r + 5] !== words[at + 5] ||
        rows[r + 6] !== words[at + 6] ||
        rows[r + 7] !== words[at + 7]
      )
        ahead[i] = -1;
    }
    return ahead;
  }

  /**
   * Count the hex hash in `words` at `at` for this pass: its id, or -1 when this summary
   * named it already. `hash` is its string when there is one (else it is made, if new).
   */
  private meetHex(words: Uint32Array, at: number, hash: string | undefined): number {
    const fp = this.hexFingerprint(words, at);
    const t = this.index;
    const rows = this.rows;
    let id = -1;
    for (let slot = t.start(fp); ; slot = t.next(slot)) {
      const found = t.idAt(slot);
      if (found < 0) break;
      if (t.fingerprintAt(slot) !== fp) continue;
      const r = found * ROW;
      if (
        rows[r] === words[at] &&
        rows[r + 1] === words[at + 1] &&
        rows[r + 2] === words[at + 2] &&
        rows[r + 3] === words[at + 3] &&
        rows[r + 4] === words[at + 4] &&
        rows[r + 5] === words[at + 5] &&
        rows[r + 6] === words[at + 6] &&
        rows[r + 7] === words[at + 7]
      ) {
        id = found;
        break;
      }
    }
    if (id < 0) {
      id = this.intern(hash ?? hexOf(words, at), fp);
      this.rows.set(words.subarray(at, at + 8), id * ROW);
    }
    return this.count(id);
  }

  /** The same for a hash that is not 64 lowercase hex characters: compared as a string. */
  private meetOther(hash: string): number {
    const fp = this.otherFingerprint(hash);
    const t = this.index;
    let id = -1;
    for (let slot = t.start(fp); ; slot = t.next(slot)) {
      const found = t.idAt(slot);
      if (found < 0) break;
      if (t.fingerprintAt(slot) === fp && this.hashes[found] === hash) {
        id = found;
        break;
      }
    }
    if (id < 0) id = this.intern(hash, fp);
    return this.count(id);
  }

  private count(id: number): number {
    const row = id * ROW;
    const rows = this.rows;
    if (rows[row + SEEN] === this.pass) return -1;
    rows[row + SEEN] = this.pass;
    if (rows[row + REFS]++ === 0) {
      this.live++;
      this.order?.insert(this.hashes[id]!);
    }
    return id;
  }

  /** Odd for hex, even for any other string, so a slot's fingerprint says which way to compare. */
  private hexFingerprint(w: Uint32Array, at: number): number {
    let h = this.seed;
    for (let k = 0; k < 8; k++) h = Math.imul(h ^ w[at + k]!, 0x9e3779b1) ^ (h >>> 15);
    return mix(h) | 1;
  }

  private otherFingerprint(hash: string): number {
    let h = (this.seed ^ hash.length) >>> 0;
    for (let i = 0; i < hash.length; i++) h = Math.imul(h ^ hash.charCodeAt(i), 0x01000193);
    return mix(h) & ~1;
  }

  private intern(hash: string, fp: number): number {
    const id = this.free.length > 0 ? this.free.pop()! : this.hashes.length;
    this.ensure(id + 1);
    this.hashes[id] = hash;
    this.rows[id * ROW + FP] = fp;
    this.index.add(fp, id);
    return id;
  }

  private drop(id: number): void {
    this.index.delete(this.rows[id * ROW + FP]! | 0, id);
    this.hashes[id] = undefined;
    this.rows.fill(0, id * ROW, id * ROW + ROW);
    this.free.push(id);
  }

  private ensure(ids: number): void {
    if (ids * ROW <= this.rows.length) return;
    let size = this.rows.length;
    while (size < ids * ROW) size *= 2;
    const rows = new Uint32Array(size);
    rows.set(this.rows);
    this.rows = rows;
  }
}

const ROW = 11;
const REFS = 8;
const SEEN = 9;
const FP = 10;

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h;
}

/**
 * Packed hashes as words, in place when aligned. A journaled push comes back from msgpack
 * as a view into the record at any offset; a Uint32Array needs a multiple of 4.
 */
function wordsOf(packed: Uint8Array, count: number): Uint32Array {
  if (packed.byteOffset % 4 === 0)
    return new Uint32Array(packed.buffer, packed.byteOffset, count * 8);
  // Copied (a Buffer's slice() is a view, not a copy).
  const words = new Uint32Array(count * 8);
  new Uint8Array(words.buffer).set(packed.subarray(0, count * 32));
  return words;
}

/** Code unit → its value as a lowercase hex digit, or -1. */
const HEX_DIGIT = new Int8Array(65536).fill(-1);
for (let i = 0; i < 10; i++) HEX_DIGIT[48 + i] = i;
for (let i = 0; i < 6; i++) HEX_DIGIT[97 + i] = 10 + i;

/** Byte → its two lowercase hex digits. */
const HEX_PAIR = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/**
 * 64 lowercase hex characters into 32 bytes; false for anything else (bytes then unused).
 * Branch-free per character (a bad digit is -1 and sets the sign of `bad`): with a branch per
 * character this took four times as long as hashing the string.
 */
function parseHex(s: string, out: Uint8Array): boolean {
  let bad = 0;
  for (let j = 0; j < 32; j++) {
    const hi = HEX_DIGIT[s.charCodeAt(2 * j)]!;
    const lo = HEX_DIGIT[s.charCodeAt(2 * j + 1)]!;
    bad |= hi | lo;
    out[j] = (hi << 4) | (lo & 15);
  }
  return bad >= 0;
}

/** The hex string of the hash in `words` at `at` (a view of the same memory: its bytes in order). */
function hexOf(words: Uint32Array, at: number): string {
  const bytes = new Uint8Array(words.buffer, words.byteOffset + at * 4, 32);
  let s = '';
  for (let j = 0; j < 32; j++) s += HEX_PAIR[bytes[j]!]!;
  return s;
}

/** JavaScript's string order, as a comparator. */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
