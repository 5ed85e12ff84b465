/**
 * Binary min-heap keyed by a number (a due time), ties broken by a second number. O(log n)
 * push/pop, O(1) peek. Entries are never removed from the middle: callers check on pop
 * whether an entry is still current (lazy deletion), which keeps every operation O(log n).
 *
 * The tie-break matters for replay: entries with equal keys must come out in an order that
 * does not depend on the order they went in, or a hub rebuilt from a snapshot (or replaying
 * the log) would pick differently among them than the live hub did.
 */
export class MinHeap<T> {
  private keys: number[] = [];
  private ties: number[] = [];
  private values: T[] = [];

  get size(): number {
    return this.keys.length;
  }

  peekKey(): number | undefined {
    return this.keys[0];
  }

  push(key: number, value: T, tie = 0): void {
    const { keys, ties, values } = this;
    let i = keys.length;
    keys.push(key);
    ties.push(tie);
    values.push(value);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pk = keys[parent]!;
      if (pk < key || (pk === key && ties[parent]! <= tie)) break;
      keys[i] = pk;
      ties[i] = ties[parent]!;
      values[i] = values[parent]!;
      i = parent;
    }
    keys[i] = key;
    ties[i] = tie;
    values[i] = value;
  }

  pop(): T | undefined {
    const { keys, ties, values } = this;
    if (keys.length === 0) return undefined;
    const top = values[0];
    const lastKey = keys.pop()!;
    const lastTie = ties.pop()!;
    const lastValue = values.pop()!;
    const n = keys.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && less(keys, ties, r, l) ? r : l;
        const ck = keys[c]!;
        if (ck > lastKey || (ck === lastKey && ties[c]! >= lastTie)) break;
        keys[i] = ck;
        ties[i] = ties[c]!;
        values[i] = values[c]!;
        i = c;
      }
      keys[i] = lastKey;
      ties[i] = lastTie;
      values[i] = lastValue;
    }
    return top;
  }

  clear(): void {
    this.keys = [];
    this.ties = [];
    this.values = [];
  }
}

function less(keys: number[], ties: number[], a: number, b: number): boolean {
  return keys[a]! < keys[b]! || (keys[a]! === keys[b]! && ties[a]! < ties[b]!);
}
