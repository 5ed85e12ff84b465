import type { TaskStateName } from '../../protocol/index.js';
import type { TaskRecord } from './records.js';

/** A payload field compared for equality: `payload.customer.id=42` is path ['customer','id']. */
export interface PayloadEquals {
  path: readonly string[];
  /** The text after `=`, as given. */
  raw: string;
}

/**
 * Which tasks a search or a bulk action means (docs/dead-letters.md, "Task search"). Every field that is
 * set must match; times are Unix ms, `since` inclusive and `until` exclusive.
 */
export interface TaskFilter {
  queue?: string;
  state?: TaskStateName;
  /** The code of the task's error (its last one): dead letters by why they died. */
  errorCode?: string;
  createdSince?: number;
  createdUntil?: number;
  finishedSince?: number;
  finishedUntil?: number;
  where?: PayloadEquals;
}

/** How deep a `where` path may reach into a payload. */
export const MAX_WHERE_DEPTH = 8;

/**
 * The value at `path` in a payload, or undefined when any step is missing. Only own
 * properties are followed (never `__proto__` or a prototype's), and an array is indexed by a
 * segment that is a whole number.
 */
export function payloadField(payload: unknown, path: readonly string[]): unknown {
  let at: unknown = payload;
  for (const key of path) {
    if (at === null || typeof at !== 'object') return undefined;
    if (Array.isArray(at)) {
      if (!/^\d+$/.test(key)) return undefined;
      at = at[Number(key)];
    } else {
      if (!Object.prototype.hasOwnProperty.call(at, key)) return undefined;
      at = (at as Record<string, unknown>)[key];
    }
  }
  return at;
}

/**
 * `raw` equals a field when the field is that string, or the number, boolean or null that
 * `raw` spells in JSON: `customerId=42` matches 42 and "42"; objects and arrays never match.
 */
export function fieldEquals(value: unknown, raw: string): boolean {
  if (typeof value === 'string') return value === raw;
  if (typeof value === 'number') return raw.trim() !== '' && Number(raw) === value;
  if (typeof value === 'boolean') return raw === String(value);
  if (value === null) return raw === 'null';
  return false;
}

export function matchesTask(task: TaskRecord, f: TaskFilter): boolean {
  if (f.queue !== undefined && task.queue !== f.queue) return false;
  if (f.state !== undefined && task.state !== f.state) return false;
  if (f.errorCode !== undefined && task.error?.code !== f.errorCode) return false;
  if (f.createdSince !== undefined && task.createdAt < f.createdSince) return false;
  if (f.createdUntil !== undefined && task.createdAt >= f.createdUntil) return false;
  if (f.finishedSince !== undefined || f.finishedUntil !== undefined) {
    // An unfinished task has no finish time: a finish range never matches it.
    if (task.finishedAt === 0) return false;
    if (f.finishedSince !== undefined && task.finishedAt < f.finishedSince) return false;
    if (f.finishedUntil !== undefined && task.finishedAt >= f.finishedUntil) return false;
  }
  if (f.where && !fieldEquals(payloadField(task.payload, f.where.path), f.where.raw)) return false;
  return true;
}
