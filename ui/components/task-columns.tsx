import type { TaskJson } from '../../protocol/rest-types.js';
import { href } from '../route.js';
import type { Column, DataAttrs } from './card-table.js';

export const time = (ms: number | null): string => (ms ? new Date(ms).toLocaleTimeString() : '');

/** A task list's columns (tasks, dead letters): the id links to the task's page. */
export const TASK_COLUMNS: readonly Column<TaskJson>[] = [
  { label: 'task', cell: (t) => <a href={href('tasks', t.id)}>{t.id}</a> },
  { label: 'queue', cell: (t) => t.queue },
  { label: 'state', cell: (t) => t.state },
  { label: 'priority', cell: (t) => t.priority },
  { label: 'attempts', cell: (t) => `${t.attempt}/${t.maxAttempts}` },
  { label: 'created', cell: (t) => time(t.createdAt) },
  { label: 'error', cell: (t) => (t.error ? `${t.error.code}: ${t.error.message}` : '') },
];

/** A task list's CardTable props but its rows: each row is `tr[data-task=<id>]`. */
export const TASK_TABLE = {
  columns: TASK_COLUMNS,
  rowKey: (t: TaskJson): string => t.id,
  rowData: (t: TaskJson): DataAttrs => ({ 'data-task': t.id }),
};
