import { api } from '../api-client.js';
import { act } from '../components/act.js';
import { CardTable } from '../components/card-table.js';
import { usePoll } from '../use-poll.js';

/** The token's workspaces (admins: every one): status, services, the ssh line; start, stop, delete. */
export function Workspaces() {
  const [d, err, reload] = usePoll(api.workspaces, { on: ['workspace.'], ms: 10_000 });
  const run = (verb: string, name: string, call: () => Promise<unknown>) =>
    act(`${verb} workspace ${name}`, call, reload);
  return (
    <CardTable
      rows={d?.workspaces}
      err={err}
      empty="No workspaces."
      rowKey={(w) => w.id}
      rowData={(w) => ({ 'data-workspace': w.name })}
      columns={[
        { label: 'workspace', cell: (w) => w.name },
        { label: 'user', cell: (w) => w.user },
        {
          label: 'status',
          cell: (w) => (
            <>
              {w.status}
              {w.lastError && <span class="error"> {w.lastError}</span>}
            </>
          ),
        },
        { label: 'node', cell: (w) => w.nodeName ?? w.node },
        {
          label: 'services',
          cell: (w) =>
            Object.entries(w.serviceStatus)
              .map(([k, v]) => `${k}: ${v.status}`)
              .join(', '),
        },
        { label: 'ssh', cell: (w) => w.ssh.command && <code>{w.ssh.command}</code> },
      ]}
      actions={(w) => (
        <>
          {w.status === 'stopped' ? (
            <button
              onClick={() => run('Start', w.name, () => api.workspaceStatus(w.id, 'running'))}
            >
              Start
            </button>
          ) : (
            <button onClick={() => run('Stop', w.name, () => api.workspaceStatus(w.id, 'stopped'))}>
              Stop
            </button>
          )}
          <button onClick={() => run('Delete', w.name, () => api.deleteWorkspace(w.id))}>
            Delete
          </button>
        </>
      )}
    />
  );
}
