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
 * O(n log n) to sort); here a pull after a change costs one merge of what changed into the
 * previous order (O(n + k log k) for k changes) and a pull without a change costs nothing.
 */
export class FactTable {
  private readonly idOf = new Map<string, number>();
  /** id → hash; undefined for a free id. */
  private readonly hashes: (string | undefined)[] = [];
  /** id → how many summaries hold it. */
  private refs = new Uint32Array(1024);
  /** id → the last `acquire` that met it: each hash counts once per summary. */
  private seen = new Uint32Array(1024);
  private pass = 0;
  private readonly free: number[] = [];
  private live = 0;

  /** Every held hash in order, as of the last `sorted()`. */
  private order: readonly string[] = [];
  /** Held now, not in `order`. */
  private readonly added = new Set<string>();
  /** In `order`, not held any more. */
  private readonly removed = new Set<string>();
  /**
   * Changes are not being tracked: the next `sorted()` sorts everything held. Set after a
   * restore, and when more has been added than `order` holds (a bulk load), where tracking
   * would cost more memory than a sort saves.
   */
  private rebuild = false;

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
      this.seen.fill(0);
      this.pass = 1;
    }
    const pass = this.pass;
    const out = new Uint32Array(hashes.length);
    let n = 0;
    for (let i = 0; i < hashes.length; i++) {
      const hash = hashes[i]!;
      let id = this.idOf.get(hash);
      if (id === undefined) id = this.intern(hash);
      else if (this.seen[id] === pass) continue;
      this.seen[id] = pass;
      if (this.refs[id]++ === 0) this.becameHeld(hash);
      out[n++] = id;
    }
    return n === out.length ? out : out.slice(0, n);
  }

  /** Let go of a summary's hashes (ids from `acquire`); a hash no summary holds is dropped. */
  release(ids: Uint32Array): void {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (--this.refs[id]! > 0) continue;
      const hash = this.hashes[id]!;
      this.hashes[id] = undefined;
      this.idOf.delete(hash);
      this.free.push(id);
      this.live--;
      if (!this.rebuild && !this.added.delete(hash)) this.removed.add(hash);
    }
  }

  hashOf(id: number): string {
    return this.hashes[id]!;
  }

  /**
   * Every held hash, in UTF-16 code unit order (JavaScript's string order: the same as
   * Python's `sorted()` for every hash outside the astral planes). The same array comes back
   * until something changes, so a caller may cache what it derives from it by identity.
   */
  sorted(): readonly string[] {
    if (this.rebuild) {
      const all: string[] = [];
      for (const h of this.hashes) if (h !== undefined) all.push(h);
      this.order = all.sort(byCodeUnits);
      this.rebuild = false;
      return this.order;
    }
    if (this.added.size === 0 && this.removed.size === 0) return this.order;
    const kept =
      this.removed.size === 0 ? this.order : this.order.filter((h) => !this.removed.has(h));
    this.order = mergeSorted(kept, [...this.added].sort(byCodeUnits));
    this.added.clear();
    this.removed.clear();
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
      if (h !== null && h !== undefined) this.idOf.set(h, id);
    }
    this.rebuild = true;
  }

  /** A restored summary's ids (already distinct). */
  hold(ids: Uint32Array): void {
    for (let i = 0; i < ids.length; i++) this.refs[ids[i]!]!++;
  }

  /** After a restore: ids no summary holds are free (a table written with no holes has none). */
  settle(): void {
    this.live = 0;
    for (let id = 0; id < this.hashes.length; id++) {
      const h = this.hashes[id];
      if (h !== undefined && this.refs[id]! > 0) {
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
    this.idOf.set(hash, id);
    return id;
  }

  private becameHeld(hash: string): void {
    this.live++;
    if (this.rebuild) return;
    if (this.removed.delete(hash)) return;
    this.added.add(hash);
    if (this.added.size > 65_536 && this.added.size > this.order.length) {
      this.added.clear();
      this.removed.clear();
      this.rebuild = true;
    }
  }

  private ensure(ids: number): void {
    if (ids <= this.refs.length) return;
    let size = this.refs.length;
    while (size < ids) size *= 2;
    const refs = new Uint32Array(size);
    refs.set(this.refs);
    this.refs = refs;
    const seen = new Uint32Array(size);
    seen.set(this.seen);
    this.seen = seen;
  }
}

/** JavaScript's string order, as a comparator. */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Two sorted lists with no element in common, as one. */
function mergeSorted(a: readonly string[], b: readonly string[]): string[] {
  if (b.length === 0) return a as string[];
  if (a.length === 0) return b as string[];
  const out = new Array<string>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = a[i]! < b[j]! ? a[i++]! : b[j++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}
