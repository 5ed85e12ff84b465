import type { QueueJson } from '../../protocol/rest-types.js';
import { href } from '../route.js';
import type { Column, DataAttrs } from './card-table.js';

/** A queue's name, linked to its tasks; `paused` marks a paused one where the page says so. */
export const queueColumn = (paused: boolean): Column<QueueJson> => ({
  label: 'queue',
  cell: (q) => (
    <>
      <a href={href('tasks', undefined, { queue: q.name })}>{q.name}</a>
      {paused && q.paused && <em> paused</em>}
    </>
  ),
});

/** Queued tasks by priority, highest first (overview and queues pages). */
export const DEPTH_COLUMNS: readonly Column<QueueJson>[] = [
  'critical',
  'high',
  'normal',
  'low',
].map((p) => ({ label: p, cell: (q) => q.depth[p] ?? 0 }));

export const queueKey = (q: QueueJson): string => q.name;
export const queueData = (q: QueueJson): DataAttrs => ({ 'data-queue': q.name });
