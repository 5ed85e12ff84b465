import { useState } from 'preact/hooks';
import { api, type TaskFilter } from '../api-client.js';
import { Pager } from '../components/pager.js';
import { CardTable } from '../components/card-table.js';
import { TASK_TABLE } from '../components/task-columns.js';
import { href, type Route } from '../route.js';
import { usePoll } from '../use-poll.js';

export const STATES = [
  'queued',
  'delayed',
  'leased',
  'waiting-children',
  'completed',
  'dead',
  'expired',
  'cancelled',
];
const FIELDS = ['queue', 'state', 'errorCode', 'where'] as const;

/**
 * Tasks a page at a time, filtered by queue, state, last error code and a payload field
 * (`payload.customerId=42`, the hub's task search); the filters live in the URL so a
 * filtered list can be shared as a link. A task id jumps straight to its page.
 */
export function Tasks({ route }: { route: Route }) {
  const filter: TaskFilter = {};
  for (const f of FIELDS) {
    const v = route.params.get(f);
    if (v) filter[f] = v;
  }
  const [stack, setStack] = useState<string[]>([]);
  const cursor = stack.at(-1);
  const key = JSON.stringify(filter) + cursor;
  const [d, err] = usePoll(
    () => api.tasks({ ...filter, ...(cursor ? { cursor } : {}) }),
    { on: ['task.'], minMs: 2000, ms: 10_000 },
    [key],
  );
  return (
    <>
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          const form = new FormData(e.currentTarget);
          const id = String(form.get('id') ?? '').trim();
          if (id) return void (location.hash = href('tasks', id));
          const params: Record<string, string> = {};
          for (const f of FIELDS) params[f] = String(form.get(f) ?? '').trim();
          setStack([]);
          location.hash = href('tasks', undefined, params);
        }}
      >
        <label>
          task id <input name="id" autocomplete="off" />
        </label>
        <label>
          queue <input name="queue" value={filter.queue ?? ''} />
        </label>
        <label>
          state
          <select name="state" value={filter.state ?? ''}>
            <option value="">any</option>
            {STATES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          error code <input name="errorCode" value={filter.errorCode ?? ''} />
        </label>
        <label>
          payload{' '}
          <input name="where" placeholder="payload.customerId=42" value={filter.where ?? ''} />
        </label>
        <button type="submit">Search</button>
      </form>
      <CardTable
        {...TASK_TABLE}
        rows={d?.tasks}
        err={err}
        empty={`No task matches${d?.nextCursor ? ' on this page' : ''}.`}
        actions={() => null}
      />
      <Pager stack={stack} next={d?.nextCursor} onChange={setStack} />
    </>
  );
}
