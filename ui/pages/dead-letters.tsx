import { useState } from 'preact/hooks';
import { api } from '../api-client.js';
import { act } from '../components/act.js';
import { Pager } from '../components/pager.js';
import { CardTable } from '../components/card-table.js';
import { TASK_TABLE } from '../components/task-columns.js';
import type { Route } from '../route.js';
import { href } from '../route.js';
import { usePoll } from '../use-poll.js';

/** Dead letters of every queue (or one: `?queue=`), a page at a time; retry or delete each. */
export function DeadLetters({ admin, route }: { admin: boolean; route: Route }) {
  const queue = route.params.get('queue') ?? '';
  const [stack, setStack] = useState<string[]>([]);
  const cursor = stack.at(-1);
  const [d, err, reload] = usePoll(
    () => api.tasks({ state: 'dead', ...(queue ? { queue } : {}), ...(cursor ? { cursor } : {}) }),
    { on: ['task.dead', 'task.retried', 'queue.purged'], minMs: 1000, ms: 10_000 },
    [queue, cursor],
  );
  return (
    <>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setStack([]);
          location.hash = href('dead', undefined, {
            queue: String(new FormData(e.currentTarget).get('queue') ?? '').trim(),
          });
        }}
      >
        <label>
          queue <input name="queue" value={queue} />
        </label>
        <button type="submit">Filter</button>
      </form>
      <CardTable
        {...TASK_TABLE}
        rows={d?.tasks}
        err={err}
        empty={stack.length === 0 && 'No dead letters.'}
        actions={(t) =>
          admin && (
            <>
              <button
                onClick={() =>
                  act(`Retry task ${t.id} of ${t.queue}`, () => api.retry(t.id), reload)
                }
              >
                Retry
              </button>
              <button
                onClick={() =>
                  act(
                    `Delete dead task ${t.id} for good`,
                    () => api.deleteDead(t.queue, t.id),
                    reload,
                  )
                }
              >
                Delete
              </button>
            </>
          )
        }
      />
      <Pager stack={stack} next={d?.nextCursor} onChange={setStack} />
    </>
  );
}
