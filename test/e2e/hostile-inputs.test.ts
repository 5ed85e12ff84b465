import t from 'tap';
import { mintToken } from '../../server/auth/index.js';
import { VolatileStore } from '../../server/hub/hub-store.js';
import { CloseCode, ErrorCode, MAX_VALUE_DEPTH } from '../../protocol/index.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { RawClient } from '../helpers/raw-client.js';

// Each case here is an attack that took down or fooled a hub at d35592a; the test says
// what a user sees now.

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const str = (s: string): string => {
  const b = Buffer.from(s);
  return (
    (b.length < 32
      ? (0xa0 | b.length).toString(16)
      : 'd9' + b.length.toString(16).padStart(2, '0')) + b.toString('hex')
  );
};
/** `{t, id, ...fields}` as msgpack, the fields' values given as raw hex. */
const frame = (t: string, id: number | undefined, fields: Record<string, string>): Uint8Array => {
  const entries = Object.entries(fields);
  const n = 1 + (id === undefined ? 0 : 1) + entries.length;
  let out = (0x80 | n).toString(16) + str('t') + str(t);
  if (id !== undefined) out += str('id') + id.toString(16).padStart(2, '0');
  for (const [k, v] of entries) out += str(k) + v;
  return hex(out);
};
const BIGINT_128 = 'c7 10 42' + ' 01'.repeat(16); // msgpackr's 128-bit BigInt: 18 bytes

async function registered(hub: TestHub, queues: string[], token?: string, extra: object = {}) {
  const w = await RawClient.open(hub.wsUrl, token);
  w.send({ t: 'register', id: 2, queues, concurrency: 4, ...extra });
  const reg = await w.next((f) => f.t === 'registered' || f.t === 'error');
  return { w, reg };
}

async function roundTrip(t: Tap.Test, hub: TestHub, queue = 'q'): Promise<void> {
  const { w } = await registered(hub, [queue]);
  const p = await RawClient.open(hub.wsUrl);
  p.send({ t: 'submit', id: 3, task: { queue, payload: { n: 1 } } });
  const sub = await p.next((f) => f.t === 'submitted');
  const task = await w.next((f) => f.t === 'task' && f.taskId === sub.taskId);
  w.send({ t: 'complete', id: 4, taskId: task.taskId, attempt: task.attempt, result: { ok: 1 } });
  const res = await p.next((f) => f.t === 'result' && f.taskId === sub.taskId);
  t.same(res.result, { ok: 1 }, 'the hub still runs a task end to end');
  w.close();
  p.close();
}

for (const transport of ['uws', 'ws'] as const) {
  t.test(`${transport}: extension types never reach the core`, async (t) => {
    const hub = await startTestHub({ transport });
    t.teardown(() => hub.stop());
    const p = await RawClient.open(hub.wsUrl);
    p.sendBytes(
      frame('submit', 9, { task: '82' + str('queue') + str('q') + str('payload') + BIGINT_128 }),
    );
    const err = await p.next((f) => f.t === 'error');
    t.equal(err.code, ErrorCode.BAD_FRAME);
    t.match(err.message, /BigInt/);
    t.equal(hub.hub.core.tasks.size, 0, 'nothing was queued');

    // progress.value and complete.result of a real lease
    const { w } = await registered(hub, ['q']);
    p.send({ t: 'submit', id: 10, task: { queue: 'q', payload: 1 } });
    const task = await w.next((f) => f.t === 'task');
    const lease = str('taskId') + str(task.taskId as string) + str('attempt') + '01';
    w.sendBytes(
      hex(
        (0x84).toString(16) +
          str('t') +
          str('progress') +
          lease.slice(0) +
          str('value') +
          'd4 00 00',
      ),
    );
    const perr = await w.next((f) => f.t === 'error');
    t.equal(perr.code, ErrorCode.BAD_FRAME, 'progress with undefined refused');
    w.sendBytes(
      hex(
        (0x85).toString(16) +
          str('t') +
          str('complete') +
          str('id') +
          '05' +
          lease +
          str('result') +
          BIGINT_128,
      ),
    );
    const cerr = await w.next((f) => f.t === 'error');
    t.equal(cerr.code, ErrorCode.BAD_FRAME, 'complete with a BigInt refused');
    t.equal(
      hub.hub.core.tasks.get(task.taskId as string)!.state,
      'leased',
      'the lease is untouched',
    );
    w.send({ t: 'complete', id: 6, taskId: task.taskId, attempt: task.attempt, result: 'fine' });
    const res = await p.next((f) => f.t === 'result');
    t.equal(res.result, 'fine');
    await roundTrip(t, hub, 'rt');
  });

  t.test(`${transport}: frames past the hard limit close with 1009`, async (t) => {
    const hub = await startTestHub({ transport, maxFrameBytes: 4096 });
    t.teardown(() => hub.stop());
    const soft = await RawClient.open(hub.wsUrl);
    soft.sendBytes(new Uint8Array(4096 * 2));
    const e = await soft.next((f) => f.t === 'error');
    t.equal(
      e.code,
      ErrorCode.FRAME_TOO_LARGE,
      'between 1x and 4x: an error frame, connection kept',
    );
    const c = await RawClient.open(hub.wsUrl);
    c.sendBytes(new Uint8Array(4096 * 4 + 100));
    t.equal(await c.closed(), CloseCode.MESSAGE_TOO_BIG);
    soft.send({ t: 'heartbeat', id: 7 });
    t.ok(await soft.next((f) => f.t === 'ack'), 'the other session is unaffected');
  });
}

t.test('a plain uint64 payload is a number, and REST can show it', async (t) => {
  const hub = await startTestHub();
  t.teardown(() => hub.stop());
  const p = await RawClient.open(hub.wsUrl);
  p.sendBytes(
    frame('submit', 9, {
      task: '82' + str('queue') + str('q') + str('payload') + 'cf 00000000 00000007',
    }),
  );
  const sub = await p.next((f) => f.t === 'submitted');
  const res = await fetch(`${hub.httpUrl}/api/v1/tasks/${sub.taskId as string}`);
  t.equal(res.status, 200);
  const body = (await res.json()) as { payload: unknown };
  t.equal(body.payload, 7);
});

t.test('payload depth is bounded on HTTP too, and a refused body stores nothing', async (t) => {
  const hub = await startTestHub();
  t.teardown(() => hub.stop());
  const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);
  const post = (payload: string) =>
    fetch(`${hub.httpUrl}/api/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"queue":"q","payload":${payload}}`,
    });
  const bomb = await post(deep(100_000));
  t.equal(bomb.status, 400);
  const err = (await bomb.json()) as { error: { code: string; message: string } };
  t.equal(err.error.code, ErrorCode.INVALID_JSON);
  const over = await post(deep(MAX_VALUE_DEPTH + 1));
  t.equal(over.status, 400, 'one level past the value limit');
  const overErr = (await over.json()) as { error: { code: string; message: string } };
  t.match(overErr.error.message, /payload/, 'the error names the field');
  t.equal(hub.hub.core.tasks.size, 0, 'nothing stored');
  const ok = await post(deep(MAX_VALUE_DEPTH));
  t.equal(ok.status, 201, `${MAX_VALUE_DEPTH} levels are accepted`);
  const { w } = await registered(hub, ['q']);
  const task = await w.next((f) => f.t === 'task');
  t.equal(JSON.stringify(task.payload).length, MAX_VALUE_DEPTH * 2, 'and delivered intact');
});

t.test('a worker id belongs to the identity that registered it', async (t) => {
  const secret = 'x'.repeat(40);
  const hub = await startTestHub({ auth: { enabled: true, secret } });
  t.teardown(() => hub.stop());
  const reportsTok = await mintToken(secret, {
    role: 'worker',
    queues: ['reports'],
    subject: 'rep',
  });
  const emailsTok = await mintToken(secret, { role: 'worker', queues: ['emails'], subject: 'eve' });
  const prodTok = await mintToken(secret, { role: 'producer' });

  const { w: real, reg } = await registered(hub, ['reports'], reportsTok, { workerId: 'reporter' });
  t.equal(reg.t, 'registered');
  const p = await RawClient.open(hub.wsUrl, prodTok);
  p.send({ t: 'submit', id: 3, task: { queue: 'reports', payload: 'quarterly' } });
  const sub = await p.next((f) => f.t === 'submitted');
  const task = await real.next((f) => f.t === 'task');

  const { w: intruder, reg: refused } = await registered(hub, ['emails'], emailsTok, {
    workerId: 'reporter',
    running: [{ taskId: task.taskId, attempt: task.attempt }],
  });
  t.equal(refused.t, 'error');
  t.equal(refused.code, ErrorCode.FORBIDDEN);
  t.equal(real.closeCode, undefined, 'the real worker stays connected');
  intruder.send({
    t: 'complete',
    id: 5,
    taskId: task.taskId,
    attempt: task.attempt,
    result: 'forged',
  });
  const ie = await intruder.next((f) => f.t === 'error' && f.id === 5);
  t.equal(ie.code, ErrorCode.NOT_REGISTERED);

  // the same over the Cortex HTTP paths
  const http = (path: string, body: object, tok = emailsTok) =>
    fetch(`${hub.httpUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tok}` },
      body: JSON.stringify(body),
    });
  for (const [path, body] of [
    ['/api/workers/register', { workerId: 'reporter', queues: ['emails'] }],
    ['/api/tasks/assign', { workerId: 'reporter' }],
    ['/api/workers/heartbeat', { workerId: 'reporter' }],
    ['/api/workers/unregister', { workerId: 'reporter' }],
    [
      '/api/tasks/complete',
      { workerId: 'reporter', taskId: task.taskId, attempt: task.attempt, result: 'forged' },
    ],
    [
      '/api/tasks/fail',
      { workerId: 'reporter', taskId: task.taskId, attempt: task.attempt, error: { message: 'x' } },
    ],
  ] as const) {
    const res = await http(path, body);
    t.equal(res.status, 403, `${path} as another identity is forbidden`);
  }
  // the owner's own token over HTTP may not register its connected WebSocket worker again
  const clash = await http(
    '/api/workers/register',
    { workerId: 'reporter', queues: ['reports'] },
    reportsTok,
  );
  t.equal(clash.status, 409, 'an HTTP register of a connected WebSocket worker is a conflict');
  t.equal(
    hub.hub.core.workers.get('reporter')!.heartbeatTimeoutMs,
    3000,
    'its lease timeout is unchanged',
  );

  real.send({
    t: 'complete',
    id: 6,
    taskId: task.taskId,
    attempt: task.attempt,
    result: 'genuine',
  });
  const res = await p.next((f) => f.t === 'result' && f.taskId === sub.taskId);
  t.equal(res.result, 'genuine', 'the producer gets the real result');
});

t.test('re-registering keeps only leases of the queues registered for now', async (t) => {
  const hub = await startTestHub();
  t.teardown(() => hub.stop());
  const { w } = await registered(hub, ['a', 'b'], undefined, { workerId: 'w1' });
  const p = await RawClient.open(hub.wsUrl);
  p.send({ t: 'submit_many', id: 3, tasks: [{ queue: 'a' }, { queue: 'b' }] });
  const ta = await w.next((f) => f.t === 'task' && f.queue === 'a');
  const tb = await w.next((f) => f.t === 'task' && f.queue === 'b');
  const running = [ta, tb].map((x) => ({ taskId: x.taskId, attempt: x.attempt }));
  const { reg } = await registered(hub, ['a'], undefined, { workerId: 'w1', running });
  t.same(reg.resumed, [ta.taskId]);
  t.same(reg.dropped, [tb.taskId]);
  t.equal(await w.closed(), CloseCode.REPLACED);
});

t.test('a command the store refuses changes nothing', async (t) => {
  class RefusingStore extends VolatileStore {
    refuse = false;
    prepare(record: object): void {
      if (this.refuse && (record as { type: string }).type === 'task.submit')
        throw new Error('injected: log write failed');
    }
  }
  const store = new RefusingStore();
  const hub = await startTestHub({ store });
  t.teardown(() => hub.stop());
  const p = await RawClient.open(hub.wsUrl);
  store.refuse = true;
  p.send({ t: 'submit', id: 3, task: { queue: 'q', payload: 1 } });
  const err = await p.next((f) => f.t === 'error');
  t.equal(err.code, ErrorCode.INTERNAL);
  const rest = await fetch(`${hub.httpUrl}/api/v1/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"queue":"q"}',
  });
  t.equal(rest.status, 500);
  t.equal(hub.hub.core.tasks.size, 0, 'no task in memory');
  store.refuse = false;
  const { w } = await registered(hub, ['q']);
  p.send({ t: 'submit', id: 4, task: { queue: 'q', payload: 2 } });
  const task = await w.next((f) => f.t === 'task');
  t.equal(task.payload, 2, 'the worker gets only the task that was accepted');
  t.equal(hub.hub.core.tasks.size, 1);
});

t.test('a submit that could not be made durable is taken back, not left cancelled', async (t) => {
  class LosingStore extends VolatileStore {
    lose = false;
    override onDurable(seq: number, cb: (err?: Error) => void): void {
      if (this.lose) cb(new Error('injected: disk full'));
      else super.onDurable(seq, cb);
    }
  }
  const store = new LosingStore();
  const hub = await startTestHub({ store });
  t.teardown(() => hub.stop());
  const { w } = await registered(hub, ['q']);
  const p = await RawClient.open(hub.wsUrl);
  store.lose = true;
  p.send({ t: 'submit', id: 3, task: { queue: 'q', payload: 'lost' } });
  const err = await p.next((f) => f.t === 'error');
  t.equal(err.code, ErrorCode.STORE_UNAVAILABLE);
  const pushed = await w.next((f) => f.t === 'task');
  const revoked = await w.next((f) => f.t === 'cancel' && f.taskId === pushed.taskId);
  t.ok(revoked, 'the worker that already had it is told to stop');
  t.equal(hub.hub.core.tasks.size, 0, 'no record of it remains, not even a cancelled one');
  const listed = (await (await fetch(`${hub.httpUrl}/api/v1/tasks`)).json()) as {
    tasks: unknown[];
  };
  t.equal(listed.tasks.length, 0);
  store.lose = false;
  p.send({ t: 'submit', id: 4, task: { queue: 'q', payload: 'kept' } });
  const next = await w.next((f) => f.t === 'task');
  t.equal(next.payload, 'kept', 'the freed slot takes the next task');
});
