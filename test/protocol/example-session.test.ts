import t from 'tap';
import { CloseCode, encodeFrame } from '../../protocol/index.js';
import { mintToken } from '../../server/auth/index.js';
import { startTestHub } from '../helpers/hub.js';
import { RawClient, type AnyFrame } from '../helpers/raw-client.js';
import { bytesToHex, parseDocSession, protocolDoc } from './protocol-doc.js';

const SECRET = 'golden-secret-golden-secret-golden-42';
const DOC_TASK_ID = /k3x-\d+/g;

/**
 * Replays docs/protocol.md §11 against a real hub: each `→` line is sent as written, each `←`
 * line must arrive on that connection with the same fields, in the same order, with the same
 * values, and as the same bytes — except what the hub chooses (task ids, the session id,
 * createdAt), which is learned from the reply and substituted.
 */
for (const transport of ['uws', 'ws'] as const) {
  t.test(`${transport}: the doc's example session, against a real hub`, async (t) => {
    const { steps } = parseDocSession(protocolDoc());
    t.ok(steps.length > 20, 'the session was found');
    const th = await startTestHub({
      transport,
      version: '0.1.0',
      heartbeatIntervalMs: 5000,
      maxFrameBytes: 1 << 20,
      auth: { enabled: true, secret: SECRET },
      core: { disconnectGraceMs: 500, heartbeatTimeoutMs: 30_000 },
    });
    let stopped = false;
    t.teardown(() => (stopped ? undefined : th.stop()));

    const workerToken = await mintToken(SECRET, { role: 'worker', queues: ['emails'] });
    const producerToken = await mintToken(SECRET, {
      role: 'producer',
      queues: ['emails', 'reports'],
    });
    const peers: Record<string, { c: RawClient; raw: string[]; token: string }> = {};
    const connect = async (who: string, token: string) => {
      const c = await RawClient.connect(th.wsUrl);
      const raw: string[] = [];
      c.ws.on('message', (data: Buffer) => raw.push(bytesToHex(data)));
      t.teardown(() => c.close());
      peers[who] = { c, raw, token };
    };
    await connect('worker', workerToken);
    await connect('producer', producerToken);
    // The doc does not show the producer's handshake.
    peers.producer!.c.send({ t: 'hello', id: 1, protocol: 1, token: producerToken });
    await peers.producer!.c.next((f) => f.t === 'welcome');

    const taskIds = new Map<string, string>(); // doc id -> the hub's
    const replyTos = new Map<string, string>(); // doc replyTo -> the hub's
    const real = (value: unknown): unknown => {
      if (typeof value === 'string')
        return (replyTos.get(value) ?? value).replace(DOC_TASK_ID, (id) => taskIds.get(id) ?? id);
      if (Array.isArray(value)) return value.map(real);
      if (value && typeof value === 'object')
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, real(v)]));
      return value;
    };
    const learn = (doc: unknown, got: unknown) => {
      if (typeof doc === 'string' && /^k3x-\d+$/.test(doc) && typeof got === 'string')
        taskIds.set(doc, got);
      if (Array.isArray(doc) && Array.isArray(got)) doc.forEach((d, i) => learn(d, got[i]));
    };

    for (const step of steps) {
      const where = `docs/protocol.md:${step.line} ${step.who} ${step.direction} ${step.frame.t}`;
      const peer = peers[step.who];
      if (!peer) {
        t.fail(`${where}: unknown peer`);
        continue;
      }
      if (step.direction === 'send') {
        const frame = real(step.frame) as AnyFrame;
        if (frame.t === 'hello') frame.token = peer.token;
        peer.c.send(frame);
        continue;
      }
      // The hub's drain goes out when it shuts down (the doc's "hub shutting down:").
      if (step.frame.t === 'drain' && !stopped) {
        stopped = true;
        void th.stop();
      }
      const want = step.frame;
      const got = await peer.c.next(
        (f) =>
          f.t === want.t &&
          (want.id === undefined || f.id === want.id) &&
          (typeof want.taskId !== 'string' ||
            !taskIds.has(want.taskId) ||
            f.taskId === taskIds.get(want.taskId)),
      );
      if (want.t === 'submitted') learn(want.taskId, got.taskId);
      if (want.t === 'submitted_many') learn(want.taskIds, got.taskIds);
      if (want.t === 'flow_submitted') learn(want.taskIds, got.taskIds);
      if (want.t === 'committed')
        learn(
          (want.results as { taskId?: string }[]).map((r) => r.taskId),
          (got.results as { taskId?: string }[]).map((r) => r.taskId),
        );
      const expected = real(want) as AnyFrame;
      // What only the hub can know: taken from the reply after checking its kind.
      if (want.t === 'welcome') {
        t.type(got.sessionId, 'string', `${where}: sessionId`);
        expected.sessionId = got.sessionId;
      }
      if (want.t === 'message') {
        // The publisher's session id, the time and a request's reply address are the hub's.
        t.type(got.from, 'string', `${where}: from`);
        expected.from = got.from;
        const at = got.at as number;
        t.ok(Number.isSafeInteger(at) && Math.abs(at - Date.now()) < 60_000, `${where}: at`);
        expected.at = at;
        if (typeof want.replyTo === 'string') {
          t.match(got.replyTo, /^_reply\./, `${where}: replyTo`);
          replyTos.set(want.replyTo, got.replyTo as string);
          expected.replyTo = got.replyTo;
        }
      }
      if (want.t === 'task') {
        const at = got.createdAt as number;
        t.ok(Number.isSafeInteger(at) && Math.abs(at - Date.now()) < 60_000, `${where}: createdAt`);
        expected.createdAt = at;
      }
      t.strictSame(Object.keys(got), Object.keys(expected), `${where}: fields, in order`);
      t.strictSame(got, expected, `${where}: values`);
      t.ok(
        peer.raw.includes(bytesToHex(encodeFrame(expected))),
        `${where}: the bytes the hub sent are the doc's (ids substituted)`,
      );
    }
    t.equal(taskIds.size, 7, 'the session made seven tasks (two of them a flow)');
    t.equal(await peers.worker!.c.closed(), CloseCode.GOING_AWAY, 'worker ← close 1001');
  });
}
