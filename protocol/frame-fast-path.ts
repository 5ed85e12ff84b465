import { FrameType } from './frame-types.js';
import type { ClientFrame } from './frames.js';
import { PRIORITY_NAMES } from './priority.js';
import { NAME_PATTERN } from './task-spec.js';

/**
 * Hand-written acceptance of the frames a busy hub reads per task (complete, fail, progress,
 * heartbeat, submit, submit_many) in their common shapes, so most frames skip the zod walk
 * (about a quarter of a microsecond per complete frame, more per submitted task).
 *
 * The rule: accept only what the zod schema in frames.ts accepts, and return it unchanged
 * (none of those schemas has a default or a transform, so zod's output equals its input).
 * Anything unusual (an unknown key, a field out of bounds, a task spec with backoff or
 * requires, error details that are a container) returns undefined, and the caller runs
 * the schema, which either accepts it too or names the field that is wrong. So the schema
 * stays the one definition of what is valid, and its messages the only ones a client sees.
 *
 * Values (payload, result, progress value) are not walked here: checkMsgpack has checked
 * their types and depth on the raw bytes, exactly as the schema's z.unknown() relies on.
 */
export function acceptHotFrame(raw: Record<string, unknown>): ClientFrame | undefined {
  switch (raw.t) {
    case FrameType.complete:
      return isComplete(raw) ? (raw as ClientFrame) : undefined;
    case FrameType.fail:
      return isFail(raw) ? (raw as ClientFrame) : undefined;
    case FrameType.progress:
      return isProgress(raw) ? (raw as ClientFrame) : undefined;
    case FrameType.heartbeat:
      return isHeartbeat(raw) ? (raw as ClientFrame) : undefined;
    case FrameType.submit:
      return isSubmit(raw) ? (raw as ClientFrame) : undefined;
    case FrameType.submitMany:
      return isSubmitMany(raw) ? (raw as ClientFrame) : undefined;
    default:
      return undefined;
  }
}

const isInt = (v: unknown, min: number, max: number): boolean =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;

const isStr = (v: unknown, min: number, max: number): boolean =>
  typeof v === 'string' && v.length >= min && v.length <= max;

/** A plain object, as msgpack maps decode (what z.strictObject takes). */
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);

// The bounds of frames.ts and task-spec.ts, restated: the codec test checks both agree.
const isReqId = (v: unknown): boolean => isInt(v, 0, 0xffffffff);
const isAttempt = (v: unknown): boolean => isInt(v, 1, 100_000);
const isTaskId = (v: unknown): boolean => isStr(v, 1, 128);
const isName = (v: unknown): boolean => typeof v === 'string' && NAME_PATTERN.test(v);

function isComplete(f: Record<string, unknown>): boolean {
  let n = 3;
  if (f.id !== undefined) {
    if (!isReqId(f.id)) return false;
    n++;
  }
  if ('result' in f) n++;
  return isTaskId(f.taskId) && isAttempt(f.attempt) && keyCount(f) === n;
}

function isFail(f: Record<string, unknown>): boolean {
  let n = 4;
  if (f.id !== undefined) {
    if (!isReqId(f.id)) return false;
    n++;
  }
  return isTaskId(f.taskId) && isAttempt(f.attempt) && isTaskError(f.error) && keyCount(f) === n;
}

function isTaskError(e: unknown): boolean {
  if (!isRecord(e) || !isStr(e.message, 0, 65_536)) return false;
  let n = 1;
  if (e.code !== undefined) {
    if (!isStr(e.code, 0, 128)) return false;
    n++;
  }
  if (e.retryable !== undefined) {
    if (typeof e.retryable !== 'boolean') return false;
    n++;
  }
  if (e.details !== undefined) {
    // A container would need the schema's depth walk: leave it to the schema.
    if (typeof e.details === 'object' && e.details !== null) return false;
    n++;
  }
  return keyCount(e) === n;
}

function isProgress(f: Record<string, unknown>): boolean {
  return 'value' in f && isTaskId(f.taskId) && isAttempt(f.attempt) && keyCount(f) === 4;
}

function isHeartbeat(f: Record<string, unknown>): boolean {
  if (f.id === undefined) return keyCount(f) === 1;
  return isReqId(f.id) && keyCount(f) === 2;
}

function isSubmit(f: Record<string, unknown>): boolean {
  return isReqId(f.id) && isTaskSpec(f.task) && keyCount(f) === 3;
}

function isSubmitMany(f: Record<string, unknown>): boolean {
  const tasks = f.tasks;
  if (!isReqId(f.id) || !Array.isArray(tasks) || keyCount(f) !== 3) return false;
  if (tasks.length < 1 || tasks.length > 10_000) return false;
  // One queue name is usually shared by the whole batch: test the pattern once per name.
  let lastQueue: unknown = NO_QUEUE_YET;
  for (let i = 0; i < tasks.length; i++) {
    const spec: unknown = tasks[i];
    if (!isRecord(spec)) return false;
    if (spec.queue !== lastQueue) {
      if (!isName(spec.queue)) return false;
      lastQueue = spec.queue;
    }
    if (!isTaskSpecRest(spec)) return false;
  }
  return true;
}

const NO_QUEUE_YET = Symbol('no queue yet');

function isTaskSpec(spec: unknown): boolean {
  return isRecord(spec) && isName(spec.queue) && isTaskSpecRest(spec);
}

const PRIORITIES: ReadonlySet<unknown> = new Set(PRIORITY_NAMES);
const DAY = 86_400_000;

/** Every field of a task spec but `queue`; specs with backoff or requires go to the schema. */
function isTaskSpecRest(s: Record<string, unknown>): boolean {
  let n = 1;
  if ('payload' in s) n++;
  if (s.priority !== undefined) {
    if (!PRIORITIES.has(s.priority)) return false;
    n++;
  }
  if (s.delayMs !== undefined) {
    if (!isInt(s.delayMs, 0, 366 * DAY)) return false;
    n++;
  }
  if (s.runAt !== undefined) {
    if (!isInt(s.runAt, 0, Number.MAX_SAFE_INTEGER)) return false;
    n++;
  }
  if (s.maxAttempts !== undefined) {
    if (!isInt(s.maxAttempts, 1, 1000)) return false;
    n++;
  }
  if (s.timeoutMs !== undefined) {
    if (!isInt(s.timeoutMs, 0, 7 * DAY)) return false;
    n++;
  }
  if (s.ttlMs !== undefined) {
    if (!isInt(s.ttlMs, 0, 366 * DAY)) return false;
    n++;
  }
  if (s.idempotencyKey !== undefined) {
    if (!isStr(s.idempotencyKey, 1, 256)) return false;
    n++;
  }
  if (s.resultTtlMs !== undefined) {
    if (!isInt(s.resultTtlMs, 0, 30 * DAY)) return false;
    n++;
  }
  return keyCount(s) === n;
}

/** Own enumerable keys, without allocating the array Object.keys would. */
function keyCount(o: object): number {
  let n = 0;
  for (const k in o) if (Object.prototype.hasOwnProperty.call(o, k)) n++;
  return n;
}
