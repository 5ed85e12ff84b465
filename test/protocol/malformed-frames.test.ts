import t from 'tap';
import { decodeClientFrame, ErrorCode } from '../../protocol/index.js';
import { startTestHub } from '../helpers/hub.js';
import { RawClient } from '../helpers/raw-client.js';
import { hexToBytes, malformedFixtures } from './protocol-doc.js';

/** The fixtures' FRAME_TOO_LARGE case is one byte past this; every other case fits under it. */
const LIMIT = 256;
const cases = malformedFixtures();

t.test('the fixtures cover every refusal docs/protocol.md lists', async (t) => {
  const codes = new Set(cases.map((c) => c.code));
  for (const code of [
    ErrorCode.BAD_FRAME,
    ErrorCode.UNKNOWN_FRAME,
    ErrorCode.INVALID_FRAME,
    ErrorCode.FRAME_TOO_LARGE,
  ])
    t.ok(codes.has(code), code);
  // §1's list: each kind of BAD_FRAME has a case whose message says so.
  for (const kind of [
    /timestamp/,
    /BigInt/,
    /Error/,
    /Set/,
    /RegExp/,
    /typed array/,
    /undefined/,
    /record definition/,
    /0xc1/,
    /uint64 beyond/,
    /int64 beyond/,
    /UTF-8/,
    /map keys/,
    /entries announced/,
    /bytes announced/,
    /nested deeper/,
    /after the end/,
  ])
    t.ok(
      cases.some((c) => c.code === ErrorCode.BAD_FRAME && kind.test(c.message)),
      String(kind),
    );
});

t.test('decodeClientFrame refuses each malformed input with its code', async (t) => {
  for (const c of cases) {
    const r = decodeClientFrame(hexToBytes(c.hex), LIMIT);
    t.notOk(r.ok, c.name);
    if (r.ok) continue;
    t.equal(r.code, c.code, `${c.name}: code`);
    t.match(r.message, new RegExp(c.message), `${c.name}: message`);
    t.equal(r.id, c.id, `${c.name}: id ${c.id === undefined ? 'absent' : 'echoed'}`);
  }
});

for (const transport of ['uws', 'ws'] as const) {
  t.test(`${transport}: a real hub answers each malformed input the same way`, async (t) => {
    const th = await startTestHub({ transport, maxFrameBytes: LIMIT });
    t.teardown(th.stop);
    const c = await RawClient.open(th.wsUrl);
    t.teardown(() => c.close());
    for (const m of cases) {
      c.sendBytes(hexToBytes(m.hex));
      const err = await c.next((f) => f.t === 'error');
      t.equal(err.code, m.code, `${m.name}: code`);
      t.match(String(err.message), new RegExp(m.message), `${m.name}: message`);
      t.equal(err.id, m.id, `${m.name}: id`);
    }
    t.equal(th.hub.core.tasks.size, 0, 'no refused frame created anything');
    // The connection survived all of them: a plain request still round-trips.
    c.send({ t: 'heartbeat', id: 99 });
    t.equal((await c.next((f) => f.t === 'ack')).id, 99);
    t.equal(c.closeCode, undefined, 'still open');
  });
}
