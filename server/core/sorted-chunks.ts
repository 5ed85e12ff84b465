/**
 * A sorted set of strings kept as a list of sorted chunks of at most MAX_CHUNK each, every
 * string of a chunk before every string of the next. Insert and remove cost a binary search
 * and a splice within one chunk (O(log n + MAX_CHUNK)), never O(n); a chunk counts its
 * changes in `version`, so a reader that renders chunks (the pull's JSON) redoes only those
 * that changed since it last looked. Order is JavaScript's (`<`, UTF-16 code units).
 *
 * Why chunks: a pull answers with every distinct hash in order. With one sorted array, each
 * change between two pulls cost the next pull a pass over all of it and a new JSON of all
 * of it (at 100,000 hashes, 6.7 MB stringified again for one new hash).
 */
export interface SortedChunk {
  readonly items: readonly string[];
  /** Changes since the chunk was made; a new chunk object for a split is a new chunk. */
  readonly version: number;
}

/** What a reader of sorted strings needs: how many, and the chunks in order. */
export interface SortedStrings {
  readonly size: number;
  chunks(): readonly SortedChunk[];
}

interface Chunk {
  items: string[];
  version: number;
}

/**
 * A change re-renders its chunk (at most 512 hashes, ~35 KB of JSON, tens of µs); a pull
 * writes one piece per chunk (200-400 at 100,000 hashes, in one corked write).
 */
export const MAX_CHUNK = 512;

export class SortedChunks implements SortedStrings {
  private list: Chunk[] = [];
  size = 0;

  /** From strings already sorted and distinct. */
  static fromSorted(sorted: readonly string[]): SortedChunks {
    const s = new SortedChunks();
    for (let i = 0; i < sorted.length; i += MAX_CHUNK >> 1)
      s.list.push({ items: sorted.slice(i, i + (MAX_CHUNK >> 1)), version: 0 });
    s.size = sorted.length;
    return s;
  }

  chunks(): readonly SortedChunk[] {
    return this.list;
  }

  /** Add a string that is not in the set. */
  insert(value: string): void {
    this.size++;
    if (this.list.length === 0) {
      this.list.push({ items: [value], version: 0 });
      return;
    }
    const c = this.list[this.chunkFor(value)]!;
    c.items.splice(lowerBound(c.items, value), 0, value);
    c.version++;
    if (c.items.length > MAX_CHUNK) {
      const at = this.list.indexOf(c);
      const half = c.items.splice(c.items.length >> 1);
      this.list.splice(at + 1, 0, { items: half, version: 0 });
    }
  }

  /** Remove a string that is in the set. */
  remove(value: string): void {
    const at = this.chunkFor(value);
    const c = this.list[at]!;
    const i = lowerBound(c.items, value);
    if (c.items[i] !== value) return;
    c.items.splice(i, 1);
    c.version++;
    this.size--;
    if (c.items.length === 0) this.list.splice(at, 1);
    else if (c.items.length < MAX_CHUNK >> 3) {
      // Keep chunks from fragmenting: a small one joins a neighbour that has room.
      const next = this.list[at + 1];
      if (next && next.items.length + c.items.length <= MAX_CHUNK >> 1) {
        c.items.push(...next.items);
        this.list.splice(at + 1, 1);
      }
    }
  }

  toArray(): string[] {
    const out: string[] = [];
    for (const c of this.list) for (const s of c.items) out.push(s);
    return out;
  }

  /** The chunk that holds `value`, or would: the first whose last item is not below it. */
  private chunkFor(value: string): number {
    let lo = 0;
    let hi = this.list.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const items = this.list[mid]!.items;
      if (items[items.length - 1]! < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The first index whose item is not below `value`. */
function lowerBound(items: readonly string[], value: string): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (items[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
