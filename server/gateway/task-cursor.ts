import { randomBytes } from 'node:crypto';
import { ErrorCode } from '../../protocol/index.js';
import type { TaskRecord } from '../core/index.js';
import { OperationError } from './operation-error.js';

/**
 * Where a page of a task listing ended, self-contained: the last row's creation number
 * (`ord`, within the hub process `r`), its createdAt and id. It never depends on that row
 * still existing: a page may end on a task that is purged or evicted before the next page is
 * asked for.
 */
interface Cursor {
  r?: string;
  o?: number;
  c: number;
  id: string;
}

/** Names this hub process in its cursors: `ord` numbers mean nothing to another one. */
const RUN = randomBytes(6).toString('base64url');

export function encodeCursor(task: TaskRecord): string {
  const cursor: Cursor = { r: RUN, o: task.ord, c: task.createdAt, id: task.id };
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(raw: string): Cursor {
  try {
    const v = JSON.parse(Buffer.from(raw, 'base64url').toString()) as Cursor;
    if (
      typeof v.c === 'number' &&
      typeof v.id === 'string' &&
      (v.o === undefined || Number.isSafeInteger(v.o)) &&
      (v.r === undefined || typeof v.r === 'string')
    )
      return v;
  } catch {
    // fall through
  }
  throw new OperationError(
    ErrorCode.INVALID_FRAME,
    'cursor is not one this API returned; pass nextCursor from the previous page',
  );
}

/**
 * Which tasks come after the cursor. Ords are numbered afresh by each hub process, so a
 * cursor from before a restart is placed by its task if that still exists, else by
 * createdAt: the page then starts at the first task created in the same millisecond, which
 * may repeat a row or two but never skips one.
 */
export function resumeAfter(
  raw: string,
  find: (id: string) => TaskRecord | undefined,
): (task: TaskRecord) => boolean {
  const cursor = decodeCursor(raw);
  if (cursor.r === RUN && cursor.o !== undefined) {
    const o = cursor.o;
    return (task) => task.ord > o;
  }
  const same = find(cursor.id);
  if (same) {
    const o = same.ord;
    return (task) => task.ord > o;
  }
  return (task) => task.createdAt >= cursor.c;
}
