import t from 'tap';
import { startTestHub } from '../helpers/hub.js';

interface Sse {
  id: number;
  event: string;
  data: { type: string; queue?: string; taskId?: string };
}

/** Read SSE messages from a fetch body until `count` arrived. */
async function readEvents(
  url: string,
  count: number,
  headers: Record<string, string> = {},
): Promise<Sse[]> {
  const ctrl = new AbortController();
  const res = await fetch(url, { headers, signal: ctrl.signal });
  t.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  const reader = res.body!.getReader();
  const out: Sse[] = [];
  let buf = '';
  const timer = setTimeout(() => ctrl.abort(), 5000);
  try {
    while (out.length < count) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += Buffer.from(value).toString();
      let idx;
      while ((idx = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, idx);
        buf = buf.slice(idx + 2);
        const fields = Object.fromEntries(
          block
            .split('\n')
            .filter((l) => !l.startsWith(':') && l.includes(': '))
            .map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]),
        );
        if (fields.data)
          out.push({ id: Number(fields.id), event: fields.event!, data: JSON.parse(fields.data) });
      }
    }
  } finally {
    clearTimeout(timer);
    ctrl.abort();
  }
  return out;
}

t.test('event stream: lifecycle events, queue filter, Last-Event-ID resume', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const post = (body: unknown) =>
    fetch(`${th.httpUrl}/api/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  const live = readEvents(`${th.httpUrl}/api/v1/events?queue=alpha`, 2);
  await new Promise((r) => setTimeout(r, 100));
  await post({ queue: 'beta' });
  const a = await (await post({ queue: 'alpha' })).json();
  await post({ queue: 'alpha', payload: 2 });
  const got = await live;
  t.same(
    got.map((e) => [e.event, e.data.queue]),
    [
      ['task.submitted', 'alpha'],
      ['task.submitted', 'alpha'],
    ],
    'only alpha, in order',
  );
  t.equal(got[0]!.data.taskId, a.id);

  // Resume after the first alpha event: replays what followed, from the buffer.
  const resumed = await readEvents(`${th.httpUrl}/api/v1/events`, 1, {
    'last-event-id': String(got[0]!.id),
  });
  t.equal(resumed[0]!.id, got[0]!.id + 1, 'resumes right after the given id');

  const bad = await fetch(`${th.httpUrl}/api/v1/events?lastEventId=banana`);
  t.equal(bad.status, 400);
});
