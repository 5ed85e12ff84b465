import t from 'tap';
import { encodeFrameCopy, ErrorCode } from '../../protocol/index.js';
import { startTestHub } from '../helpers/hub.js';
import { RawClient } from '../helpers/raw-client.js';
import { frameFixtures, hexToBytes, malformedFixtures } from './protocol-doc.js';

/**
 * One protocol frame is one WebSocket *message*; RFC 6455 lets a sender split a message into
 * fragments (`fin: false` ... `fin: true`), with control frames between them. The hub must
 * see the reassembled message, on either transport.
 */
function sendFragmented(c: RawClient, bytes: Uint8Array, sizes: number[]): void {
  let at = 0;
  for (let i = 0; at < bytes.byteLength; i++) {
    const size = sizes[Math.min(i, sizes.length - 1)]!;
    const end = Math.min(bytes.byteLength, at + size);
    c.ws.send(bytes.subarray(at, end), { binary: true, fin: end === bytes.byteLength });
    at = end;
  }
}

const fixture = (name: string) => frameFixtures().find((f) => f.name === name)!;

for (const transport of ['uws', 'ws'] as const) {
  t.test(`${transport}: frames split across WebSocket fragments`, async (t) => {
    const th = await startTestHub({ transport, maxFrameBytes: 256 });
    t.teardown(th.stop);

    const c = await RawClient.connect(th.wsUrl);
    t.teardown(() => c.close());
    const hello = hexToBytes(fixture('hello').hex);
    sendFragmented(c, hello, [5]);
    const welcome = await c.next((f) => f.t === 'welcome');
    t.equal(welcome.id, 1, 'hello in 5-byte fragments: welcome');

    c.send({ t: 'register', id: 2, queues: ['emails'] });
    await c.next((f) => f.t === 'registered');
    const submit = hexToBytes(fixture('submit').hex);
    sendFragmented(c, submit, [1]);
    const submitted = await c.next((f) => f.t === 'submitted');
    t.equal(submitted.id, 7, `submit in ${submit.byteLength} one-byte fragments: submitted`);
    const task = await c.next((f) => f.t === 'task');
    t.strictSame(task.payload, { to: 'ada@example.com' }, 'the payload survived reassembly');

    // A ping between two fragments of one message (allowed by RFC 6455 §5.4).
    const heartbeat = encodeFrameCopy({ t: 'heartbeat', id: 31 });
    c.ws.send(heartbeat.subarray(0, 4), { binary: true, fin: false });
    await new Promise<void>((resolve) => c.ws.ping(undefined, undefined, () => resolve()));
    c.ws.send(heartbeat.subarray(4), { binary: true, fin: true });
    t.equal((await c.next((f) => f.t === 'ack')).id, 31, 'a ping between fragments: ack');

    // Limits and checks apply to the whole message, not to one fragment.
    const tooBig = malformedFixtures().find((m) => m.code === ErrorCode.FRAME_TOO_LARGE)!;
    sendFragmented(c, hexToBytes(tooBig.hex), [64]);
    t.equal(
      (await c.next((f) => f.t === 'error')).code,
      ErrorCode.FRAME_TOO_LARGE,
      'fragments each under the limit, the message over it: FRAME_TOO_LARGE',
    );
    const ext = malformedFixtures().find((m) => m.name === 'extension: BigInt')!;
    sendFragmented(c, hexToBytes(ext.hex), [40, 3]);
    const bad = await c.next((f) => f.t === 'error');
    t.equal(bad.code, ErrorCode.BAD_FRAME, 'an extension split across fragments: BAD_FRAME');
    t.equal(bad.id, undefined);

    // Two fragmented messages back to back stay two frames, in order.
    const a = encodeFrameCopy({ t: 'heartbeat', id: 41 });
    const b = encodeFrameCopy({ t: 'heartbeat', id: 42 });
    sendFragmented(c, a, [3]);
    sendFragmented(c, b, [3]);
    t.equal((await c.next((f) => f.t === 'ack')).id, 41);
    t.equal((await c.next((f) => f.t === 'ack')).id, 42);
    t.equal(c.closeCode, undefined, 'still open');
  });
}
