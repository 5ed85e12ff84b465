import { api } from '../api-client.js';
import { act } from '../components/act.js';
import { Status } from '../components/status.js';
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
    <>
      <Status err={err} loading={!d} />
      {d && d.workers.length === 0 && <p>No workers connected.</p>}
      <table class="cards">
        <thead>
          <tr>
            <th>worker</th>
            <th>state</th>
            <th>queues</th>
            <th>running</th>
            <th>last seen</th>
            <th>done</th>
            <th>failed</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(d?.workers ?? []).map((w) => (
            <tr key={w.id} data-worker={w.id}>
              <td data-label="worker">{w.name ?? w.id}</td>
              <td data-label="state">{w.state}</td>
              <td data-label="queues">{w.queues.join(', ')}</td>
              <td data-label="running">
                {w.running.length}/{w.concurrency}{' '}
                {w.running.slice(0, 5).map((id) => (
                  <a key={id} href={href('tasks', id)}>
                    {id}{' '}
                  </a>
                ))}
              </td>
              <td data-label="last seen">{ago(w.lastSeen)}</td>
              <td data-label="done">{w.completed}</td>
              <td data-label="failed">{w.failed}</td>
              <td class="actions">
                {admin && w.state !== 'draining' && (
                  <button
                    onClick={() =>
                      act(`Drain worker ${w.name ?? w.id}`, () => api.drain(w.id), reload)
                    }
                  >
                    Drain
                  </button>
                )}
                {admin && (
                  <button
                    onClick={() =>
                      act(`Disconnect worker ${w.name ?? w.id}`, () => api.disconnect(w.id), reload)
                    }
                  >
                    Disconnect
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
