import { api } from '../api-client.js';
import { act } from '../components/act.js';
import { Status } from '../components/status.js';
import { usePoll } from '../use-poll.js';

/** The token's workspaces (admins: every one): status, services, the ssh line; start, stop, delete. */
export function Workspaces() {
  const [d, err, reload] = usePoll(api.workspaces, { on: ['workspace.'], ms: 10_000 });
  return (
    <>
      <Status err={err} loading={!d} />
      {d && d.workspaces.length === 0 && <p>No workspaces.</p>}
      <table class="cards">
        <thead>
          <tr>
            <th>workspace</th>
            <th>user</th>
            <th>status</th>
            <th>node</th>
            <th>services</th>
            <th>ssh</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(d?.workspaces ?? []).map((w) => (
            <tr key={w.id} data-workspace={w.name}>
              <td data-label="workspace">{w.name}</td>
              <td data-label="user">{w.user}</td>
              <td data-label="status">
                {w.status}
                {w.lastError && <span class="error"> {w.lastError}</span>}
              </td>
              <td data-label="node">{w.nodeName ?? w.node}</td>
              <td data-label="services">
                {Object.entries(w.serviceStatus)
                  .map(([k, v]) => `${k}: ${v.status}`)
                  .join(', ')}
              </td>
              <td data-label="ssh">{w.ssh.command && <code>{w.ssh.command}</code>}</td>
              <td class="actions">
                {w.status === 'stopped' ? (
                  <button
                    onClick={() =>
                      act(
                        `Start workspace ${w.name}`,
                        () => api.workspaceStatus(w.id, 'running'),
                        reload,
                      )
                    }
                  >
                    Start
                  </button>
                ) : (
                  <button
                    onClick={() =>
                      act(
                        `Stop workspace ${w.name}`,
                        () => api.workspaceStatus(w.id, 'stopped'),
                        reload,
                      )
                    }
                  >
                    Stop
                  </button>
                )}
                <button
                  onClick={() =>
                    act(`Delete workspace ${w.name}`, () => api.deleteWorkspace(w.id), reload)
                  }
                >
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
