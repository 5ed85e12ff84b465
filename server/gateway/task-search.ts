import { mayUseQueue, type Grant } from '../auth/index.js';
import { matchesTask, type TaskFilter, type TaskRecord } from '../core/index.js';
import { encodeCursor, resumeAfter } from './task-cursor.js';

/** A task search: a filter, a page size and where the previous page ended. */
export interface TaskSearch extends TaskFilter {
  limit: number;
  cursor?: string;
}

export interface TaskPage {
  tasks: TaskRecord[];
  /** Where the next page starts; null on the last. */
  nextCursor: string | null;
}

/**
 * At most this many tasks past the cursor are examined for one page. A search whose filter
 * matches few of many tasks answers a short page (even an empty one) with a cursor rather
 * than holding the hub for a scan of everything: the next page goes on from there.
 */
export const MAX_SCANNED_PER_PAGE = 50_000;

/**
 * One page of a search, oldest first (creation order). Keyset pagination on the task
 * table's creation number, so tasks created or removed between pages neither shift nor
 * repeat the rest: a task that exists for the whole walk appears exactly once
 * (task-cursor.ts for the one exception, a restart between pages).
 *
 * Cost: a walk of the retained tasks in creation order from the start (the skip before the
 * cursor is a comparison per task), except for the dead tasks of one queue, which come from
 * the queue's dead-letter set. The core keeps no other index: search is an operator tool,
 * and indexing would cost every submit and completion.
 */
export function searchTasks(
  tasks: { values(): IterableIterator<TaskRecord>; get(id: string): TaskRecord | undefined },
  deadOf: (queue: string) => ReadonlySet<string> | undefined,
  grant: Grant,
  q: TaskSearch,
): TaskPage {
  const after = q.cursor === undefined ? undefined : resumeAfter(q.cursor, (id) => tasks.get(id));
  const dead = q.state === 'dead' && q.queue !== undefined ? deadOf(q.queue) : undefined;
  if (dead !== undefined) return deadPage(dead, tasks, grant, q, after);
  let passed = after === undefined;
  let scanned = 0;
  let lastExamined: TaskRecord | undefined;
  const items: TaskRecord[] = [];
  for (const task of tasks.values()) {
    if (!passed) {
      if (!after!(task)) continue;
      passed = true;
    }
    if (++scanned > MAX_SCANNED_PER_PAGE) {
      // Resume after the last task examined: everything up to it has been looked at.
      return { tasks: items, nextCursor: encodeCursor(lastExamined!) };
    }
    lastExamined = task;
    if (!matchesTask(task, q) || !mayUseQueue(grant, task.queue)) continue;
    if (items.length === q.limit)
      return { tasks: items, nextCursor: encodeCursor(items[items.length - 1]!) };
    items.push(task);
  }
  return { tasks: items, nextCursor: null };
}

/** The dead tasks of one queue, from its dead-letter set, in creation order. */
function deadPage(
  dead: ReadonlySet<string>,
  tasks: { get(id: string): TaskRecord | undefined },
  grant: Grant,
  q: TaskSearch,
  after: ((task: TaskRecord) => boolean) | undefined,
): TaskPage {
  const rows = matchingDead(dead, tasks, q, after);
  if (!mayUseQueue(grant, q.queue!)) return { tasks: [], nextCursor: null };
  const page = rows.slice(0, q.limit);
  const more = rows.length > q.limit;
  return { tasks: page, nextCursor: more ? encodeCursor(page[page.length - 1]!) : null };
}

/** Dead tasks of the set matching `f` (and past `after`), oldest first. */
export function matchingDead(
  dead: ReadonlySet<string>,
  tasks: { get(id: string): TaskRecord | undefined },
  f: TaskFilter,
  after?: (task: TaskRecord) => boolean,
): TaskRecord[] {
  const rows: TaskRecord[] = [];
  for (const id of dead) {
    const task = tasks.get(id);
    if (task && (after === undefined || after(task)) && matchesTask(task, f)) rows.push(task);
  }
  return rows.sort((a, b) => a.ord - b.ord);
}
