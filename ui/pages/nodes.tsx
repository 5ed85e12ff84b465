import { api } from '../api-client.js';
import { act } from '../components/act.js';
import { Status } from '../components/status.js';
import { usePoll } from '../use-poll.js';

/** Registered nodes and their connection status; removal for admins (the only role that sees them). */
export function Nodes() {
  const [d, err, reload] = usePoll(api.nodes, { on: ['node.'], ms: 10_000 });
  return (
    <>
      <Status err={err} loading={!d} />
      {d && d.nodes.length === 0 && <p>No nodes registered.</p>}
      <table class="cards">
        <thead>
          <tr>
            <th>node</th>
            <th>status</th>
            <th>address</th>
            <th>providers</th>
            <th>labels</th>
            <th>last seen</th>
            <th>last error</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(d?.nodes ?? []).map((n) => (
            <tr key={n.id} data-node={n.name}>
              <td data-label="node">{n.name}</td>
              <td data-label="status">{n.status}</td>
              <td data-label="address">{n.address ?? ''}</td>
              <td data-label="providers">{n.providers.join(', ')}</td>
              <td data-label="labels">
                {Object.entries(n.labels)
                  .map(([k, v]) => `${k}=${v}`)
                  .join(' ')}
              </td>
              <td data-label="last seen">
                {n.lastSeen ? new Date(n.lastSeen).toLocaleTimeString() : ''}
              </td>
              <td data-label="last error">{n.lastError ?? ''}</td>
              <td class="actions">
                <button
                  onClick={() => act(`Remove node ${n.name}`, () => api.removeNode(n.id), reload)}
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
