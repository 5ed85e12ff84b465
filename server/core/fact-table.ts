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
   * met it (each hash counts once per summary). A lookup then costs two cache misses, the
   * slot and the row, where a Map costs three or four.
   */
  private rows = new Uint32Array(1024 * ROW);
  /** The parsed words of the hash being looked up. */
  private readonly words = new Uint32Array(8);
  private pass = 0;
  private readonly free: number[] = [];
  private live = 0;

  /** Every held hash in order; undefined after a restore until first read (one sort then). */
  private order: SortedChunks | undefined = new SortedChunks();

  /** Distinct hashes held. */
  get size(): number {
    return this.live;
  }

  /**
   * Hold the hashes of one summary: each distinct one counts once for it, however often it
   * is listed. Returns their ids, to hand back to `release` when the summary goes.
   */
  acquire(hashes: readonly string[]): Uint32Array {
    if (++this.pass === 0xffffffff) {
      for (let i = SEEN; i < this.rows.length; i += ROW) this.rows[i] = 0;
      this.pass = 1;
    }
    const pass = this.pass;
    const out = new Uint32Array(hashes.length);
    let n = 0;
    for (let i = 0; i < hashes.length; i++) {
      const hash = hashes[i]!;
      const fp = this.fingerprint(hash);
      let id = this.find(hash, fp);
      if (id < 0) id = this.intern(hash, fp);
      else if (this.rows[id * ROW + SEEN] === pass) continue;
      const row = id * ROW;
      this.rows[row + SEEN] = pass;
      if (this.rows[row + REFS]++ === 0) this.becameHeld(hash);
      out[n++] = id;
    }
    return n === out.length ? out : out.slice(0, n);
  }

  /** Let go of a summary's hashes (ids from `acquire`); a hash no summary holds is dropped. */
  release(ids: Uint32Array): void {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (--this.rows[id * ROW + REFS]! > 0) continue;
      const hash = this.hashes[id]!;
      this.drop(id, hash);
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

  /** id → hash, with null for a free id: the snapshot's form (ids in summaries stay valid). */
  snapshot(): (string | null)[] {
    return this.hashes.map((h) => h ?? null);
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
      this.index.add(this.fingerprint(h), id);
      this.keepWords(id, h);
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
      if (h !== undefined) this.drop(id, h);
      else this.free.push(id);
    }
  }

  /**
   * The hash's fingerprint; for a 64-character lowercase hex hash (agmem's SHA-256) it also
   * leaves the hash's words in `words`. Odd for hex, even for any other string, so a slot's
   * fingerprint says which way to compare.
   */
  private fingerprint(hash: string): number {
    if (hash.length === 64 && parseHex(hash, this.words)) {
      const w = this.words;
      let h = SEED;
      for (let k = 0; k < 8; k++) h = Math.imul(h ^ w[k]!, 0x9e3779b1) ^ (h >>> 15);
      return mix(h) | 1;
    }
    let h = (SEED ^ hash.length) >>> 0;
    for (let i = 0; i < hash.length; i++) h = Math.imul(h ^ hash.charCodeAt(i), 0x01000193);
    return mix(h) & ~1;
  }

  /** The id of `hash` (fingerprinted just before, `words` still its own), or -1. */
  private find(hash: string, fp: number): number {
    const t = this.index;
    const hex = (fp & 1) === 1;
    for (let slot = t.start(fp); ; slot = t.next(slot)) {
      const id = t.idAt(slot);
      if (id < 0) return -1;
      if (t.fingerprintAt(slot) !== fp) continue;
      if (hex ? this.sameWords(id) : this.hashes[id] === hash) return id;
    }
  }

  private sameWords(id: number): boolean {
    const rows = this.rows;
    const w = this.words;
    const at = id * ROW;
    for (let k = 0; k < 8; k++) if (rows[at + k] !== w[k]) return false;
    return true;
  }

  private intern(hash: string, fp: number): number {
    const id = this.free.length > 0 ? this.free.pop()! : this.hashes.length;
    this.ensure(id + 1);
    this.hashes[id] = hash;
    this.index.add(fp, id);
    // `words` still holds this hash's bytes when it is hex (fingerprint ran just before).
    if ((fp & 1) === 1) this.rows.set(this.words, id * ROW);
    return id;
  }

  private keepWords(id: number, hash: string): void {
    if (hash.length === 64 && parseHex(hash, this.words)) this.rows.set(this.words, id * ROW);
  }

  private drop(id: number, hash: string): void {
    this.index.delete(this.fingerprint(hash), id);
    this.hashes[id] = undefined;
    this.rows.fill(0, id * ROW, id * ROW + ROW);
    this.free.push(id);
  }

  private becameHeld(hash: string): void {
    this.live++;
    this.order?.insert(hash);
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

const ROW = 10;
const REFS = 8;
const SEEN = 9;

/**
 * Seeds the fingerprints, once per process, so that agents cannot line their hashes up on
 * one probe chain. It decides only where a hash sits in the table, never an id or a result,
 * so the core stays deterministic.
 */
const SEED = (Math.random() * 0x100000000) >>> 0;

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h;
}

/** Code unit → its value as a lowercase hex digit, or -1. */
const HEX_DIGIT = new Int8Array(65536).fill(-1);
for (let i = 0; i < 10; i++) HEX_DIGIT[48 + i] = i;
for (let i = 0; i < 6; i++) HEX_DIGIT[97 + i] = 10 + i;

/**
 * 64 lowercase hex characters into 8 words; false for anything else (words then unused).
 * Branch-free per character (a bad digit is -1 and sets the sign of `bad`): with a branch per
 * character this took four times as long as hashing the string.
 */
function parseHex(s: string, out: Uint32Array): boolean {
  let bad = 0;
  for (let k = 0; k < 8; k++) {
    let w = 0;
    const at = k * 8;
    for (let i = 0; i < 8; i++) {
      const v = HEX_DIGIT[s.charCodeAt(at + i)]!;
      bad |= v;
      w = (w << 4) | (v & 15);
    }
    out[k] = w;
  }
  return bad >= 0;
}

/** JavaScript's string order, as a comparator. */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
