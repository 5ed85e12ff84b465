import { MinHeap } from './min-heap.js';
import type { TaskRecord } from './records.js';

const SHARD_BITS = 8;
const SHARDS = 1 << SHARD_BITS;

/**
 * Every task the hub holds, by id: the Map API the core needs, spread over 256 Maps.
 *
 * Why not one Map: V8 rebuilds a Map's whole table in one step when it grows, and again
 * whenever deleted entries fill it, which with finished tasks evicted as new ones arrive
 * happens forever. With 100,000 retained tasks that step took 25 ms, and 39 ms when the
 * table grew past 131,072 (measured on this project's 2-core bench machine): a stall every
 * ~30 s at 5,000 tasks/s, in every task's latency behind it. Shards make each rebuild 1/256
 * as long; the total work is the same.
 *
 * Iteration (values()) is in creation order, as with a single Map: the table numbers each
 * new task (`ord`; not `seq`, which retries and promotions renumber), each shard holds its
 * tasks in that order, and merging the shards by it restores the global order.
 */
export class TaskTable {
  private readonly shards: Map<string, TaskRecord>[] = Array.from(
    { length: SHARDS },
    () => new Map<string, TaskRecord>(),
  );
  private count = 0;
  private nextOrd = 1;

  get size(): number {
    return this.count;
  }

  get(id: string): TaskRecord | undefined {
    return this.shards[shardOf(id)]!.get(id);
  }

  has(id: string): boolean {
    return this.shards[shardOf(id)]!.has(id);
  }

  set(id: string, task: TaskRecord): this {
    const shard = this.shards[shardOf(id)]!;
    const before = shard.size;
    shard.set(id, task);
    if (shard.size > before) {
      this.count++;
      task.ord = this.nextOrd++;
    }
    return this;
  }

  delete(id: string): boolean {
    if (!this.shards[shardOf(id)]!.delete(id)) return false;
    this.count--;
    return true;
  }

  /** Every task, oldest first. */
  *values(): IterableIterator<TaskRecord> {
    // Each shard's oldest unread task, by ord; the entry is reused as its shard advances.
    const heads = new MinHeap<{ task: TaskRecord; rest: Iterator<TaskRecord> }>();
    for (const shard of this.shards) {
      const rest = shard.values();
      const first = rest.next();
      if (!first.done) heads.push(first.value.ord, { task: first.value, rest });
    }
    for (let head = heads.pop(); head; head = heads.pop()) {
      yield head.task;
      const next = head.rest.next();
      if (next.done) continue;
      head.task = next.value;
      heads.push(next.value.ord, head);
    }
  }

  *keys(): IterableIterator<string> {
    for (const task of this.values()) yield task.id;
  }
}

/** FNV-1a over the id's last eight characters: hub ids differ in their counter, at the end. */
function shardOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = Math.max(0, id.length - 8); i < id.length; i++) {
    h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  }
  return (h ^ (h >>> SHARD_BITS) ^ (h >>> 16)) & (SHARDS - 1);
}
