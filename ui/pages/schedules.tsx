import { api } from '../api-client.js';
import { act } from '../components/act.js';
import { CardTable } from '../components/card-table.js';
import { href } from '../route.js';
import { usePoll } from '../use-poll.js';

/** Schedules of the queues the token allows: when each fires next, what it made; pause, resume, delete. */
export function Schedules() {
  const [d, err, reload] = usePoll(api.schedules, { on: ['schedule.'], ms: 10_000 });
  const run = (verb: string, name: string, call: (name: string) => Promise<unknown>) =>
    act(`${verb} schedule ${name}`, () => call(name), reload);
  return (
    <CardTable
      rows={d?.schedules}
      err={err}
      empty="No schedules."
      rowKey={(s) => s.name}
      rowData={(s) => ({ 'data-schedule': s.name })}
      columns={[
        {
          label: 'schedule',
          cell: (s) => (
            <>
              {s.name}
              {s.paused && <em> paused</em>}
            </>
          ),
        },
        {
          label: 'when',
          cell: (s) => (s.cron ? `${s.cron}${s.tz ? ' ' + s.tz : ''}` : `every ${s.everyMs} ms`),
        },
        { label: 'queue', cell: (s) => s.task.queue },
        { label: 'next', cell: (s) => (s.nextAt ? new Date(s.nextAt).toLocaleString() : '') },
        { label: 'fires', cell: (s) => s.fires },
        {
          label: 'last task',
          cell: (s) => s.lastTaskId && <a href={href('tasks', s.lastTaskId)}>{s.lastTaskId}</a>,
        },
      ]}
      actions={(s) => (
        <>
          {s.paused ? (
            <button onClick={() => run('Resume', s.name, api.resumeSchedule)}>Resume</button>
          ) : (
            <button onClick={() => run('Pause', s.name, api.pauseSchedule)}>Pause</button>
          )}
          <button onClick={() => run('Delete', s.name, api.deleteSchedule)}>Delete</button>
        </>
      )}
    />
  );
}
