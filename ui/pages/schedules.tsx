import { api } from '../api-client.js';
import { act } from '../components/act.js';
import { Status } from '../components/status.js';
import { href } from '../route.js';
import { usePoll } from '../use-poll.js';

/** Schedules of the queues the token allows: when each fires next, what it made; pause, resume, delete. */
export function Schedules() {
  const [d, err, reload] = usePoll(api.schedules, { on: ['schedule.'], ms: 10_000 });
  return (
    <>
      <Status err={err} loading={!d} />
      {d && d.schedules.length === 0 && <p>No schedules.</p>}
      <table class="cards">
        <thead>
          <tr>
            <th>schedule</th>
            <th>when</th>
            <th>queue</th>
            <th>next</th>
            <th>fires</th>
            <th>last task</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(d?.schedules ?? []).map((s) => (
            <tr key={s.name} data-schedule={s.name}>
              <td data-label="schedule">
                {s.name}
                {s.paused && <em> paused</em>}
              </td>
              <td data-label="when">
                {s.cron ? `${s.cron}${s.tz ? ' ' + s.tz : ''}` : `every ${s.everyMs} ms`}
              </td>
              <td data-label="queue">{s.task.queue}</td>
              <td data-label="next">{s.nextAt ? new Date(s.nextAt).toLocaleString() : ''}</td>
              <td data-label="fires">{s.fires}</td>
              <td data-label="last task">
                {s.lastTaskId && <a href={href('tasks', s.lastTaskId)}>{s.lastTaskId}</a>}
              </td>
              <td class="actions">
                {s.paused ? (
                  <button
                    onClick={() =>
                      act(`Resume schedule ${s.name}`, () => api.resumeSchedule(s.name), reload)
                    }
                  >
                    Resume
                  </button>
                ) : (
                  <button
                    onClick={() =>
                      act(`Pause schedule ${s.name}`, () => api.pauseSchedule(s.name), reload)
                    }
                  >
                    Pause
                  </button>
                )}
                <button
                  onClick={() =>
                    act(`Delete schedule ${s.name}`, () => api.deleteSchedule(s.name), reload)
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
