import type { QueueJson } from '../../protocol/rest-types.js';
import { api } from '../api-client.js';
import { act } from '../components/act.js';
import { Status } from '../components/status.js';
import { href } from '../route.js';
import { usePoll } from '../use-poll.js';

const limitsText = (q: QueueJson): string => {
  const l = q.limits;
  if (!l) return '';
  const parts = [];
  if (l.rate) parts.push(`${l.rate.count}/${l.rate.perMs} ms`);
  if (l.concurrency !== null) parts.push(`≤${l.concurrency} running`);
  if (l.group) parts.push(`${l.group.key} ≤${l.group.concurrency}`);
  return parts.join(', ');
};

/** Every queue's depths and limits; pause, resume and purge of its dead letters for admins. */
export function Queues({ admin }: { admin: boolean }) {
  const [d, err, reload] = usePoll(api.queues, { on: ['task.', 'queue.'], minMs: 1000 });
  return (
    <>
      <Status err={err} loading={!d} />
      <table class="cards">
        <thead>
          <tr>
            <th>queue</th>
            <th>critical</th>
            <th>high</th>
            <th>normal</th>
            <th>low</th>
            <th>delayed</th>
            <th>leased</th>
            <th>dead</th>
            <th>workers</th>
            <th>limits</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(d?.queues ?? []).map((qu) => (
            <tr key={qu.name} data-queue={qu.name}>
              <td data-label="queue">
                <a href={href('tasks', undefined, { queue: qu.name })}>{qu.name}</a>
                {qu.paused && <em> paused</em>}
              </td>
              {['critical', 'high', 'normal', 'low'].map((p) => (
                <td key={p} data-label={p}>
                  {qu.depth[p] ?? 0}
                </td>
              ))}
              <td data-label="delayed">{qu.delayed}</td>
              <td data-label="leased">{qu.leased}</td>
              <td data-label="dead">{qu.dead}</td>
              <td data-label="workers">{qu.workers}</td>
              <td data-label="limits">{limitsText(qu)}</td>
              <td class="actions">
                {admin &&
                  (qu.paused ? (
                    <button
                      onClick={() => act(`Resume ${qu.name}`, () => api.resume(qu.name), reload)}
                    >
                      Resume
                    </button>
                  ) : (
                    <button
                      onClick={() => act(`Pause ${qu.name}`, () => api.pause(qu.name), reload)}
                    >
                      Pause
                    </button>
                  ))}
                {admin && qu.dead > 0 && (
                  <button
                    onClick={() =>
                      act(
                        `Retry ${Math.min(qu.dead, 1000)} dead tasks of ${qu.name}`,
                        () => api.retryDead(qu.name),
                        reload,
                      )
                    }
                  >
                    Retry dead
                  </button>
                )}
                {admin && qu.dead > 0 && (
                  <button
                    onClick={() =>
                      act(
                        `Purge ${qu.dead} dead tasks of ${qu.name}`,
                        () => api.purgeDead(qu.name),
                        reload,
                      )
                    }
                  >
                    Purge dead
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
