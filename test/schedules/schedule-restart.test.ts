import t from 'tap';
import { hubProcess, type HubChild } from '../helpers/hub-process.js';
import { restCall } from '../helpers/rest-call.js';
import { tempDir } from '../helpers/temp-dir.js';
import { sleep } from '../helpers/wait.js';

/**
 * Schedules across real restarts of a hub process on the WAL store (SIGKILL, no goodbye): an
 * occurrence that fell due while the hub was down runs once on start (run-once) or not at
 * all (skip), and a fire on record is never made again by a later start.
 */

/** A daily cron expression for the second of `ms` (UTC): it fires once, at that instant. */
function cronAt(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCSeconds()} ${d.getUTCMinutes()} ${d.getUTCHours()} * * *`;
}

t.test(
  'a fire due while the hub was down: run-once makes one task, skip none; never twice',
  async (t) => {
    const dir = tempDir(t, 'sb-sched-restart-');
    const h = await hubProcess(t, {
      preset: 'development',
      dataDir: dir,
      args: ['--store', 'wal'],
    });
    let hub: HubChild = await h.start();
    const api = (path: string, method = 'GET', body?: unknown) =>
      restCall(`${h.httpUrl}/api/v1${path}`, method, body === undefined ? {} : { body });
    const kill = async () => {
      hub.proc.kill('SIGKILL');
      await hub.exited;
    };

    // Due 4 s from now, whole second; the hub is killed before and started after.
    const due = Math.ceil((Date.now() + 4000) / 1000) * 1000;
    for (const [name, missed] of [
      ['once', 'run-once'],
      ['skip', 'skip'],
    ] as const) {
      const r = await api('/schedules', 'POST', {
        name,
        cron: cronAt(due),
        missed,
        task: { queue: `q-${name}`, payload: { from: name } },
      });
      t.equal(r.status, 201, JSON.stringify(r.json));
      t.equal(r.json.nextAt, due);
    }
    // And one that fires while the hub is up, to count its fires across the restarts.
    t.equal(
      (await api('/schedules', 'POST', { name: 'beat', everyMs: 1000, task: { queue: 'q-beat' } }))
        .status,
      201,
    );
    await sleep(1500);
    await kill();
    while (Date.now() < due + 1500) await sleep(100);
    hub = await h.start();

    const once = (await api('/schedules/once')).json;
    t.equal(once.fires, 1, 'run-once: one task for the occurrence missed while down');
    t.equal(once.lastFireAt, due);
    t.equal(once.nextAt, due + 86_400_000, 'next: the same second tomorrow');
    const onceTasks = (await api('/tasks?queue=q-once')).json.tasks;
    t.equal(onceTasks.length, 1);
    t.same(onceTasks[0].payload, { from: 'once' });
    t.equal(onceTasks[0].id, once.lastTaskId);

    const skip = (await api('/schedules/skip')).json;
    t.equal(skip.fires, 0, 'skip: no task');
    t.equal(skip.skipped, 1);
    t.equal(skip.lastFireAt, due, 'the occurrence is on record as handled');
    t.equal((await api('/tasks?queue=q-skip')).json.tasks.length, 0);

    // The beat's tasks and its fire count agree after the crash: each fire on record made its
    // task, and none was made twice (the ids are distinct).
    await sleep(1200);
    // Paused first, so no fire comes between the two reads.
    const beat = (await api('/schedules/beat/pause', 'POST')).json;
    const beatTasks = (await api('/tasks?queue=q-beat&limit=1000')).json.tasks as { id: string }[];
    t.equal(beatTasks.length, beat.fires, 'one task per fire of the interval schedule');
    t.equal(new Set(beatTasks.map((x) => x.id)).size, beatTasks.length);
    t.ok(beat.fires >= 2, `the beat fired before and after the restart (${beat.fires})`);

    // A second crash and start: the missed occurrence was journaled, it does not run again.
    await kill();
    hub = await h.start();
    t.equal((await api('/schedules/once')).json.fires, 1, 'still one task after another restart');
    t.equal((await api('/tasks?queue=q-once')).json.tasks.length, 1);
    t.equal((await api('/schedules/skip')).json.skipped, 1);
  },
);
