import { api } from '../api-client.js';
import { act } from '../components/act.js';
import { CardTable } from '../components/card-table.js';
import { usePoll } from '../use-poll.js';

/** Registered nodes and their connection status; removal for admins (the only role that sees them). */
export function Nodes() {
  const [d, err, reload] = usePoll(api.nodes, { on: ['node.'], ms: 10_000 });
  return (
    <CardTable
      rows={d?.nodes}
      err={err}
      empty="No nodes registered."
      rowKey={(n) => n.id}
      rowData={(n) => ({ 'data-node': n.name })}
      columns={[
        { label: 'node', cell: (n) => n.name },
        { label: 'status', cell: (n) => n.status },
        { label: 'address', cell: (n) => n.address ?? '' },
        { label: 'providers', cell: (n) => n.providers.join(', ') },
        {
          label: 'labels',
          cell: (n) =>
            Object.entries(n.labels)
              .map(([k, v]) => `${k}=${v}`)
              .join(' '),
        },
        {
          label: 'last seen',
          cell: (n) => (n.lastSeen ? new Date(n.lastSeen).toLocaleTimeString() : ''),
        },
        { label: 'last error', cell: (n) => n.lastError ?? '' },
      ]}
      actions={(n) => (
        <button onClick={() => act(`Remove node ${n.name}`, () => api.removeNode(n.id), reload)}>
          Remove
        </button>
      )}
    />
  );
}
