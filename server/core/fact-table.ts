import { SortedChunks, type SortedStrings } from './sorted-chunks.js';
import { StringIndex } from './string-index.js';

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
  /** hash → id, over `hashes` (string-index.ts says why not a Map). */
  private readonly idOf = new StringIndex(this.hashes);
  /**
   * Per id, side by side (one cache line for both): [2·id] how many summaries hold it,
   * [2·id+1] the last `acquire` that met it (each hash counts once per summary).
   */
  private counts = new Uint32Array(2048);
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
      for (let i = 1; i < this.counts.length; i += 2) this.counts[i] = 0;
      this.pass = 1;
    }
    const pass = this.pass;
    const out = new Uint32Array(hashes.length);
    let n = 0;
    for (let i = 0; i < hashes.length; i++) {
      const hash = hashes[i]!;
      let id = this.idOf.get(hash);
      if (id < 0) id = this.intern(hash);
      else if (this.counts[2 * id + 1] === pass) continue;
      this.counts[2 * id + 1] = pass;
      if (this.counts[2 * id]++ === 0) this.becameHeld(hash);
      out[n++] = id;
    }
    return n === out.length ? out : out.slice(0, n);
  }

  /** Let go of a summary's hashes (ids from `acquire`); a hash no summary holds is dropped. */
  release(ids: Uint32Array): void {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (--this.counts[2 * id]! > 0) continue;
      const hash = this.hashes[id]!;
      this.idOf.delete(hash);
      this.hashes[id] = undefined;
      this.free.push(id);
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
      const h = hashes[id];
      this.hashes[id] = h ?? undefined;
      if (h !== null && h !== undefined) this.idOf.add(h, id);
    }
    this.order = undefined;
  }

  /** A restored summary's ids (already distinct). */
  hold(ids: Uint32Array): void {
    for (let i = 0; i < ids.length; i++) this.counts[2 * ids[i]!]!++;
  }

  /** After a restore: ids no summary holds are free (a table written with no holes has none). */
  settle(): void {
    this.live = 0;
    for (let id = 0; id < this.hashes.length; id++) {
      const h = this.hashes[id];
      if (h !== undefined && this.counts[2 * id]! > 0) {
        this.live++;
        continue;
      }
      if (h !== undefined) this.idOf.delete(h);
      this.hashes[id] = undefined;
      this.free.push(id);
    }
  }

  private intern(hash: string): number {
    const id = this.free.length > 0 ? this.free.pop()! : this.hashes.length;
    this.ensure(id + 1);
    this.hashes[id] = hash;
    this.idOf.add(hash, id);
    return id;
  }

  private becameHeld(hash: string): void {
    this.live++;
    this.order?.insert(hash);
  }

  private ensure(ids: number): void {
    if (ids * 2 <= this.counts.length) return;
    let size = this.counts.length;
    while (size < ids * 2) size *= 2;
    const counts = new Uint32Array(size);
    counts.set(this.counts);
    this.counts = counts;
  }
}

/** JavaScript's string order, as a comparator. */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
