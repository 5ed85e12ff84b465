/**
 * An open-addressing table of (fingerprint, id) pairs in one Int32Array: the fact table's
 * hash → id index. It holds no keys: a caller probes from `start(fp)`, and on a slot whose
 * fingerprint matches, checks the id's key itself (fact-table.ts compares a hex hash's bytes
 * in place, anything else as a string).
 *
 * Why not a Map: a push looks up each of its ~1,000 hashes, each a fresh string from
 * JSON.parse. Measured at 100,000 held hashes, a Map costs ~0.7 µs a lookup (the engine
 * hashes the string, then a bucket, an entry and the held string are each a cache miss);
 * with the fingerprint beside the id, a probe touches one slot, and the key only on a match.
 *
 * Deletion shifts the chain back (no tombstones), so a table that churns never degrades.
 */
export class FingerprintTable {
  /** Pairs: [2i] fingerprint, [2i+1] id, or -1 for an empty slot. */
  private slots: Int32Array;
  private mask: number;
  private count = 0;

  constructor(capacity = 1024) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.slots = new Int32Array(size * 2).fill(-1);
    this.mask = size - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The first slot to look at for `fp`; then `next`, until `idAt` is -1. */
  start(fp: number): number {
    return fp & this.mask;
  }

  next(slot: number): number {
    return (slot + 1) & this.mask;
  }

  idAt(slot: number): number {
    return this.slots[2 * slot + 1]!;
  }

  fingerprintAt(slot: number): number {
    return this.slots[2 * slot]!;
  }

  add(fp: number, id: number): void {
    if ((this.count + 1) * 2 > this.mask + 1) this.grow();
    this.place(fp, id);
    this.count++;
  }

  /** Remove the pair (fp, id), which must be present. */
  delete(fp: number, id: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let i = fp & mask;
    while (slots[2 * i + 1] !== id) {
      if (slots[2 * i + 1]! < 0) return;
      i = (i + 1) & mask;
    }
    // Backward shift: move each later entry of the chain into the hole unless its home slot
    // lies cyclically in (hole, j], so no lookup meets a gap before its entry.
    let hole = i;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const moved = slots[2 * j + 1]!;
      if (moved < 0) break;
      const home = slots[2 * j]! & mask;
      if ((j > hole && (home <= hole || home > j)) || (j < hole && home <= hole && home > j)) {
        slots[2 * hole] = slots[2 * j]!;
        slots[2 * hole + 1] = moved;
        hole = j;
      }
    }
    slots[2 * hole] = -1;
    slots[2 * hole + 1] = -1;
    this.count--;
  }

  private place(fp: number, id: number): void {
    const slots = this.slots;
    let i = fp & this.mask;
    while (slots[2 * i + 1]! >= 0) i = (i + 1) & this.mask;
    slots[2 * i] = fp;
    slots[2 * i + 1] = id;
  }

  private grow(): void {
    const old = this.slots;
    const size = (this.mask + 1) * 2;
    this.slots = new Int32Array(size * 2).fill(-1);
    this.mask = size - 1;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1]! >= 0) this.place(old[i]!, old[i + 1]!);
  }
}
