import type { TaskJson } from '../../protocol/rest-types.js';
import { href } from '../route.js';

export const time = (ms: number | null): string => (ms ? new Date(ms).toLocaleTimeString() : '');

/** One task in a list: links to its detail page; `children` are its row's actions. */
export function TaskRow({ t, children }: { t: TaskJson; children?: preact.ComponentChildren }) {
  return (
    <tr data-task={t.id}>
      <td data-label="task">
        <a href={href('tasks', t.id)}>{t.id}</a>
      </td>
      <td data-label="queue">{t.queue}</td>
      <td data-label="state">{t.state}</td>
      <td data-label="priority">{t.priority}</td>
      <td data-label="attempts">
        {t.attempt}/{t.maxAttempts}
      </td>
      <td data-label="created">{time(t.createdAt)}</td>
      <td data-label="error">{t.error ? `${t.error.code}: ${t.error.message}` : ''}</td>
      <td class="actions">{children}</td>
    </tr>
  );
}

export function TaskHead() {
  return (
    <thead>
      <tr>
        <th>task</th>
        <th>queue</th>
        <th>state</th>
        <th>priority</th>
        <th>attempts</th>
        <th>created</th>
        <th>error</th>
        <th />
      </tr>
    </thead>
  );
}
