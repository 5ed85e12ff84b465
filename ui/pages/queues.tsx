import type { QueueJson } from '../../protocol/rest-types.js';
import { api } from '../api-client.js';
import { act } from '../components/act.js';
import { CardTable } from '../components/card-table.js';
import { DEPTH_COLUMNS, queueColumn, queueData, queueKey } from '../components/queue-columns.js';
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
    <CardTable
      rows={d?.queues}
      err={err}
      rowKey={queueKey}
      rowData={queueData}
      columns={[
        queueColumn(true),
        ...DEPTH_COLUMNS,
        { label: 'delayed', cell: (q) => q.delayed },
        { label: 'leased', cell: (q) => q.leased },
        { label: 'dead', cell: (q) => q.dead },
        { label: 'workers', cell: (q) => q.workers },
        { label: 'limits', cell: limitsText },
      ]}
      actions={(qu) =>
        admin && (
          <>
            {qu.paused ? (
              <button onClick={() => act(`Resume ${qu.name}`, () => api.resume(qu.name), reload)}>
                Resume
              </button>
            ) : (
              <button onClick={() => act(`Pause ${qu.name}`, () => api.pause(qu.name), reload)}>
                Pause
              </button>
            )}
            {qu.dead > 0 && (
              <>
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
              </>
            )}
          </>
        )
      }
    />
  );
}
