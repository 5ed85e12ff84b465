import t from 'tap';
import { hubProcess, type HubChild } from '../helpers/hub-process.js';
import { tempDir } from '../helpers/temp-dir.js';

interface Sse {
  id: number;
  event: string;
  data: Record<string, unknown>;
}

/** SSE messages until `until` says stop (or 5 s pass). */
async function readEvents(
  url: string,
  headers: Record<string, string>,
  until: (seen: Sse[]) => boolean,
): Promise<Sse[]> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), 5000);
  const out: Sse[] = [];
  try {
    const res = await fetch(url, { headers, signal: ctrl.signal });
    const reader = res.body!.getReader();
    let buf = '';
    while (!until(out)) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += Buffer.from(value).toString();
      let idx;
      while ((idx = buf.indexOf('\n\n')) >= 0) {
        const lines = buf.slice(0, idx).split('\n');
        buf = buf.slice(idx + 2);
        const field = (name: string) =>
          lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
        const data = field('data');
        if (data)
          out.push({ id: Number(field('id')), event: field('event')!, data: JSON.parse(data) });
      }
    }
  } catch {
    // aborted: what arrived is the answer
  } finally {
    clearTimeout(timer);
    ctrl.abort();
  }
  return out;
}

t.test('event ids keep rising across a hub restart, and an old id gets a reset', async (t) => {
  const dir = tempDir(t, 'sb-evresume-');
  const start = async (): Promise<{ hub: HubChild; api: string }> => {
    const h = await hubProcess(t, {
      preset: 'development',
      args: ['--store', 'wal'],
      dataDir: dir,
    });
    return { hub: await h.start(), api: h.httpUrl };
  };
  const submit = async (api: string, queue: string): Promise<string> => {
    const res = await fetch(`${api}/api/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ queue }),
    });
    return ((await res.json()) as { id: string }).id;
  };
  const submittedEvent = (seen: Sse[], taskId: string) =>
    seen.find((e) => e.event === 'task.submitted' && e.data.taskId === taskId);

  const first = await start();
  const a = await submit(first.api, 'before');
  const before = await readEvents(`${first.api}/api/v1/events?lastEventId=0`, {}, (s) =>
    Boolean(submittedEvent(s, a)),
  );
  const idA = submittedEvent(before, a)!.id;
  t.ok(idA > 0);
  first.hub.proc.kill('SIGTERM');
  t.equal(await first.hub.exited, 0);

  const second = await start();
  const b = await submit(second.api, 'after');
  const resumed = await readEvents(
    `${second.api}/api/v1/events`,
    { 'last-event-id': String(idA) },
    (s) => Boolean(submittedEvent(s, b)),
  );
  t.equal(resumed[0]?.event, 'reset', 'a pre-restart id is answered with a reset first');
  t.match(resumed[0]?.data, { type: 'reset', reason: 'restarted', lastEventId: idA });
  const idB = submittedEvent(resumed, b)?.id;
  t.ok(idB, 'and the events since the restart follow');
  t.ok(idB! > idA, `ids keep rising across the restart (${idA} → ${idB})`);
  t.ok(
    resumed.slice(1).every((e) => e.id > resumed[0]!.id),
    'the reset carries an id before everything that follows, so a reconnect resumes after it',
  );

  // Resuming inside this process's buffer: no reset, only what came after.
  const c = await submit(second.api, 'later');
  const inside = await readEvents(
    `${second.api}/api/v1/events`,
    { 'last-event-id': String(idB) },
    (s) => Boolean(submittedEvent(s, c)),
  );
  t.notOk(
    inside.some((e) => e.event === 'reset'),
    'no reset when the buffer continues from the id',
  );
  t.ok(
    inside.every((e) => e.id > idB!),
    'only events after the id',
  );
  t.ok(submittedEvent(inside, c));

  // An id this hub never gave out (another hub's, or a clock that stepped back).
  const future = await readEvents(
    `${second.api}/api/v1/events?lastEventId=${idB! + 10 ** 12}`,
    {},
    (s) => s.length > 0,
  );
  t.match(future[0], { event: 'reset', data: { reason: 'unknown' } });
});
