import { useEffect, useState } from 'preact/hooks';
import { api } from '../api-client.js';
import { CardTable } from '../components/card-table.js';
import { LiveChart } from '../components/live-chart.js';
import { DEPTH_COLUMNS, queueColumn, queueData, queueKey } from '../components/queue-columns.js';
import { Status } from '../components/status.js';
import { WINDOW, series, onSeries } from '../metrics.js';
import { href } from '../route.js';
import { usePoll } from '../use-poll.js';

const byStatus = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ') || 'none';

/** Rates as live charts, the hub's counts, depths by priority, and where this hub stands. */
export function Overview() {
  const [, setTick] = useState(0);
  useEffect(() => onSeries(() => setTick((x) => x + 1)), []);
  const [queues, qErr] = usePoll(api.queues, { on: ['task.', 'queue.'], minMs: 1000 });
  const [health] = usePoll(api.health, { ms: 15_000 });
  const [status] = usePoll(api.status, { on: ['node.', 'workspace.'], ms: 15_000 });
  // Hubs come and go without events: polled (a bounded list, one Redis SCAN on the leader).
  const [cluster, clusterErr] = usePoll(api.cluster, { ms: 5000 });
  const s = series.last;
  return (
    <>
      <Status err={qErr} loading={!s} />
      {s && (
        <section aria-label="counts" class="grid">
          {Object.entries({ ...s.tasks, workers: s.workers }).map(([k, v]) => (
            <div class="card stat" data-stat={k} key={k}>
              <span>{k}</span>
              <strong>{v}</strong>
            </div>
          ))}
        </section>
      )}
      <h2>Last {WINDOW / 60} minutes</h2>
      <section aria-label="charts" class="charts">
        <LiveChart
          name="rates"
          title="Task events per second"
          unit="/s"
          end={series.end}
          span={WINDOW}
          lines={[
            { label: 'submitted', values: series.rates['task.submitted'], color: '--accent' },
            { label: 'completed', values: series.rates['task.completed'], color: '--ok' },
            { label: 'failed', values: series.rates['task.failed'], color: '--err' },
          ]}
        />
        <LiveChart
          name="depth"
          title="Tasks queued and leased"
          end={series.end}
          span={WINDOW}
          lines={[
            { label: 'queued', values: series.queued, color: '--accent' },
            { label: 'leased', values: series.leased, color: '--ok' },
          ]}
        />
      </section>
      <h2>Queue depths by priority</h2>
      <CardTable
        rows={queues?.queues}
        status={false}
        rowKey={queueKey}
        rowData={queueData}
        columns={[queueColumn(false), ...DEPTH_COLUMNS]}
      />
      <h2>Hub</h2>
      <p data-hub>
        version {s?.version ?? health?.version ?? '?'}, up {s ? s.uptimeSeconds : '?'} s,{' '}
        {s?.connections ?? 0} connections, assignment p50 {s?.assignmentLatencyMs.p50 ?? 0} ms
        {health?.role ? (
          <>
            {' '}
            · cluster {health.role} <code>{health.hubId}</code>
            {health.leader ? <> (leader {health.leader})</> : null}
          </>
        ) : (
          <> · single hub (no cluster)</>
        )}
      </p>
      <h2>Hubs</h2>
      <Status err={clusterErr} loading={!cluster} />
      {cluster && (
        <CardTable
          rows={cluster.hubs}
          status={false}
          data={{ 'data-hubs': cluster.engine }}
          rowKey={(h) => h.hubId}
          rowData={(h) => ({ 'data-hub-id': h.hubId, 'data-role': h.role })}
          columns={[
            {
              label: 'hub',
              cell: (h) => (
                <>
                  <code>{h.hubId}</code>
                  {(health?.hubId ? h.hubId === health.hubId : h.self) ? (
                    <small> (this page's hub)</small>
                  ) : null}
                </>
              ),
            },
            { label: 'role', cell: (h) => h.role },
            {
              label: 'addresses',
              cell: (h) =>
                h.httpUrl || h.wsUrl ? (
                  <span class="addrs">
                    {h.httpUrl && <code>{h.httpUrl}</code>}
                    {h.wsUrl && <code>{h.wsUrl}</code>}
                  </span>
                ) : (
                  '—'
                ),
            },
            {
              label: 'last seen',
              cell: (h) => `${Math.max(0, Math.round((cluster.at - h.lastSeenAt) / 1000))} s ago`,
            },
          ]}
        />
      )}
      {status && (
        <p data-nodes>
          <a href={href('nodes')}>nodes</a>: {byStatus(status.nodes)} ·{' '}
          <a href={href('workspaces')}>workspaces</a>: {byStatus(status.workspaces)}
        </p>
      )}
    </>
  );
}
