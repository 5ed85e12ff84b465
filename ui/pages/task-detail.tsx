import { useEffect, useState } from 'preact/hooks';
import type { WhoamiJson } from '../../protocol/rest-types.js';
import { api, type DeadTaskJson } from '../api-client.js';
import { act } from '../components/act.js';
import { JsonPreview } from '../components/json-preview.js';
import { Status } from '../components/status.js';
import { time } from '../components/task-columns.js';
import { EventStream, type HubEvent } from '../event-stream.js';
import { href } from '../route.js';
import { usePoll } from '../use-poll.js';

const FINAL = new Set(['completed', 'dead', 'expired', 'cancelled']);
/** The history shown is the last this many events of the task (the hub's buffer is bounded too). */
const HISTORY_MAX = 200;

/** A task's own events, from what the hub's buffer still holds on, live (admins only). */
function useTaskEvents(id: string, enabled: boolean): HubEvent[] {
  const [list, setList] = useState<HubEvent[]>([]);
  useEffect(() => {
    setList([]);
    if (!enabled) return;
    const s = new EventStream(`/api/v1/events?taskId=${encodeURIComponent(id)}`, true);
    const off = s.subscribe((e) => setList((l) => [...l, e].slice(-HISTORY_MAX)));
    s.start();
    return () => (off(), s.stop());
  }, [id, enabled]);
  return list;
}

/**
 * One task: its state, payload and result (bounded previews), progress, the error of each
 * failed attempt (dead tasks), its event history, and cancel/retry as the role allows.
 */
export function TaskDetail({ id, me }: { id: string; me: WhoamiJson }) {
  const admin = me.role === 'admin';
  const history = useTaskEvents(id, admin);
  const [t, err, reload] = usePoll(() => api.task(id), { ms: 5000 }, [id, history.length]);
  const [dead, setDead] = useState<DeadTaskJson>();
  useEffect(() => {
    if (admin && t?.state === 'dead')
      api.deadTask(t.queue, t.id).then(setDead, () => setDead(undefined));
    else setDead(undefined);
  }, [t?.state, t?.attempt]);
  if (!t) return <Status err={err} loading />;
  return (
    <article class="detail" data-task={t.id}>
      <p>
        <a href={href('tasks')}>← tasks</a>
      </p>
      <h2>
        Task <code>{t.id}</code>{' '}
        <span data-state={t.state} class="state">
          {t.state}
        </span>
      </h2>
      <Status err={err} />
      <dl class="grid facts">
        {(
          [
            ['queue', t.queue],
            ['priority', t.priority],
            ['attempt', `${t.attempt}/${t.maxAttempts}`],
            ['worker', t.workerId ?? ''],
            ['created', time(t.createdAt)],
            ['started', time(t.startedAt)],
            ['finished', time(t.finishedAt)],
            ['timeout', t.timeoutMs > 0 ? `${t.timeoutMs} ms` : 'none'],
          ] as const
        ).map(([k, v]) => (
          <div class="card" key={k}>
            <dt>{k}</dt>
            <dd data-fact={k}>{v}</dd>
          </div>
        ))}
      </dl>
      <div class="actions">
        {!FINAL.has(t.state) && me.role !== 'worker' && (
          <button onClick={() => act(`Cancel task ${t.id}`, () => api.cancel(t.id), reload)}>
            Cancel
          </button>
        )}
        {admin && t.state === 'dead' && (
          <button onClick={() => act(`Retry task ${t.id}`, () => api.retry(t.id), reload)}>
            Retry
          </button>
        )}
      </div>
      {t.progress !== null && t.progress !== undefined && (
        <JsonPreview label="progress" value={t.progress} />
      )}
      {t.error && (
        <section aria-label="error">
          <h3>Error</h3>
          <p class="error" data-error>
            {t.error.code}: {t.error.message}
          </p>
        </section>
      )}
      <JsonPreview label="result" value={t.result} />
      <JsonPreview label="payload" value={t.payload} />
      {dead && dead.attempts.length > 0 && (
        <section aria-label="attempts">
          <h3>Failed attempts</h3>
          <ol data-attempts>
            {dead.attempts.map((a) => (
              <li key={a.attempt}>
                attempt {a.attempt} at {time(a.at)} on {a.workerId ?? '?'}: {a.error.code}:{' '}
                {a.error.message}
              </li>
            ))}
          </ol>
        </section>
      )}
      {admin && (
        <section aria-label="history">
          <h3>Events</h3>
          {history.length === 0 && <p>No event of this task is still in the hub's buffer.</p>}
          <ol data-history>
            {history.map((e) => (
              <li key={e.id}>
                {time(e.at)} <strong>{e.type}</strong>
                {e.attempt ? ` attempt ${e.attempt}` : ''}
                {e.workerId ? ` on ${e.workerId}` : ''}
                {e.error ? ` ${e.error.code}: ${e.error.message}` : ''}
              </li>
            ))}
          </ol>
        </section>
      )}
    </article>
  );
}
