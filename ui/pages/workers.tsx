import { api } from '../api-client.js';
import { act } from '../components/act.js';
import { CardTable } from '../components/card-table.js';
import { href } from '../route.js';
import { usePoll } from '../use-poll.js';

const ago = (ms: number): string => `${Math.max(0, Math.round((Date.now() - ms) / 1000))} s ago`;

/** Connected workers: what each runs, its last heartbeat; drain and disconnect for admins. */
export function Workers({ admin }: { admin: boolean }) {
  const [d, err, reload] = usePoll(api.workers, {
    on: ['worker.', 'task.assigned', 'task.completed'],
    minMs: 1000,
  });
  return (
    <CardTable
      rows={d?.workers}
      err={err}
      empty="No workers connected."
      rowKey={(w) => w.id}
      rowData={(w) => ({ 'data-worker': w.id })}
      columns={[
        { label: 'worker', cell: (w) => w.name ?? w.id },
        { label: 'state', cell: (w) => w.state },
        { label: 'queues', cell: (w) => w.queues.join(', ') },
        {
          label: 'running',
          cell: (w) => (
            <>
              {w.running.length}/{w.concurrency}{' '}
              {w.running.slice(0, 5).map((id) => (
                <a key={id} href={href('tasks', id)}>
                  {id}{' '}
                </a>
              ))}
            </>
          ),
        },
        { label: 'last seen', cell: (w) => ago(w.lastSeen) },
        { label: 'done', cell: (w) => w.completed },
        { label: 'failed', cell: (w) => w.failed },
      ]}
      actions={(w) =>
        admin && (
          <>
            {w.state !== 'draining' && (
              <button
                onClick={() => act(`Drain worker ${w.name ?? w.id}`, () => api.drain(w.id), reload)}
              >
                Drain
              </button>
            )}
            <button
              onClick={() =>
                act(`Disconnect worker ${w.name ?? w.id}`, () => api.disconnect(w.id), reload)
              }
            >
              Disconnect
            </button>
          </>
        )
      }
    />
  );
}
