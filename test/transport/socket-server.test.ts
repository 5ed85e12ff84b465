/**
 * The WebSocket port on its own, both transports (uWebSockets.js and the `ws` fallback) behind
 * the one SocketServer interface: a real server on a loopback port, real `ws` clients, and
 * handlers written here that echo, record and close. What the hub builds on must behave the
 * same on both: bytes in order, close codes and reasons, 426 for plain HTTP, 1009 for an
 * oversized frame, backpressure then DROPPED then drain, connection caps, stop and close.
 */
import { request } from 'node:http';
import t, { type Test } from 'tap';
import WebSocket from 'ws';
import { ConnectionCaps } from '../../server/transport/connection-caps.js';
import {
  createSocketServer,
  type TransportChoice,
} from '../../server/transport/create-socket-server.js';
import {
  SendStatus,
  type Connection,
  type SocketServer,
  type SocketServerOptions,
  type UpgradeInfo,
} from '../../server/transport/socket-server.js';
import { loadNativeUws } from '../../server/transport/uws-server.js';

interface Recorder {
  server: SocketServer;
  port: number;
  opened: { conn: Connection; info: UpgradeInfo }[];
  messages: { conn: Connection; bytes: Uint8Array; isBinary: boolean }[];
  closed: { conn: Connection; code: number; reason: string }[];
  drained: Connection[];
  warnings: string[];
  /** Resolves with the server side of the next connection (in the order they opened). */
  nextOpen(): Promise<Connection>;
  /** Resolves once `n` messages arrived in total. */
  messagesUpTo(n: number): Promise<void>;
  /** Resolves once `conn` closed on the server side. */
  closeOf(conn: Connection): Promise<{ code: number; reason: string }>;
  nextDrain(): Promise<Connection>;
}

async function startServer(
  t: Test,
  choice: TransportChoice,
  extra: Partial<SocketServerOptions> = {},
  echo = false,
): Promise<Recorder> {
  const waiters: (() => void)[] = [];
  let opensTaken = 0;
  const poke = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  const until = async <T>(get: () => T | undefined): Promise<T> => {
    for (;;) {
      const v = get();
      if (v !== undefined) return v;
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  const rec: Recorder = {
    server: undefined as unknown as SocketServer,
    port: 0,
    opened: [],
    messages: [],
    closed: [],
    drained: [],
    warnings: [],
    nextOpen() {
      const k = opensTaken++;
      return until(() => rec.opened[k]?.conn);
    },
    messagesUpTo(n) {
      return until(() => (rec.messages.length >= n ? true : undefined)).then(() => undefined);
    },
    closeOf(conn) {
      return until(() => rec.closed.find((c) => c.conn === conn));
    },
    nextDrain() {
      const seen = rec.drained.length;
      return until(() => rec.drained[seen]);
    },
  };
  rec.server = createSocketServer(
    choice,
    {
      host: '127.0.0.1',
      port: 0,
      maxPayloadBytes: 64 * 1024,
      maxBackpressureBytes: 64 * 1024,
      idleTimeoutSec: 30,
      ...extra,
    },
    {
      onOpen(conn, info) {
        rec.opened.push({ conn, info });
        poke();
      },
      onMessage(conn, bytes, isBinary) {
        // Copied: the bytes are only valid during this call (uWS reuses the memory).
        rec.messages.push({ conn, bytes: bytes.slice(), isBinary });
        if (echo) conn.send(bytes);
        poke();
      },
      onDrain(conn) {
        rec.drained.push(conn);
        poke();
      },
      onClose(conn, code, reason) {
        rec.closed.push({ conn, code, reason });
        poke();
      },
    },
    (msg) => rec.warnings.push(msg),
  );
  rec.port = await rec.server.listen();
  t.teardown(() => rec.server.close());
  return rec;
}

function connect(port: number, path = '/', headers: Record<string, string> = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers });
  const received: Buffer[] = [];
  ws.on('message', (d: Buffer) => received.push(d));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, received, closed, opened };
}

/** Status, headers and body of a plain HTTP GET (or a refused upgrade) on the WebSocket port. */
function httpGet(
  port: number,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const upgradeHeaders = {
  connection: 'Upgrade',
  upgrade: 'websocket',
  'sec-websocket-version': '13',
  'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
};

const waitFor = async (cond: () => boolean, what: string, ms = 5000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

t.test('createSocketServer picks the transport asked for', async (t) => {
  const native = loadNativeUws();
  t.ok(
    native.mod,
    `the native uWebSockets.js build loads on this machine (${native.reason ?? ''})`,
  );
  const auto = await startServer(t, 'auto');
  t.equal(auto.server.kind, 'uws', 'auto: uWebSockets.js when its native build loads');
  t.same(auto.warnings, [], 'and says nothing');
  const ws = await startServer(t, 'ws');
  t.equal(ws.server.kind, 'ws', 'ws: always the fallback');
  const uws = await startServer(t, 'uws');
  t.equal(uws.server.kind, 'uws');
});

for (const transport of ['uws', 'ws'] as const) {
  t.test(`${transport}: bytes both ways, upgrade info, close code and reason`, async (t) => {
    const s = await startServer(t, transport);
    const c = connect(s.port, '/ws?token=abc', { 'x-test': 'yes' });
    await c.opened;
    const conn = await s.nextOpen();
    const info = s.opened[0]!.info;
    t.equal(info.url, '/ws?token=abc', 'the upgrade URL, query string included');
    t.equal(info.headers['x-test'], 'yes', 'the upgrade headers');
    t.match(conn.remoteAddress, /127\.0\.0\.1/);
    t.equal(conn.closed, false);

    for (let i = 0; i < 20; i++) c.ws.send(Uint8Array.of(i, 1, 2, 3));
    c.ws.send('text');
    await s.messagesUpTo(21);
    t.same(
      s.messages.slice(0, 20).map((m) => m.bytes[0]),
      Array.from({ length: 20 }, (_, i) => i),
      'frames arrive in order, each whole',
    );
    t.ok(s.messages[0]!.isBinary, 'binary frames say so');
    t.notOk(s.messages[20]!.isBinary, 'a text frame is reported as not binary');

    let statuses: number[] = [];
    conn.cork(() => {
      statuses = [1, 2, 3].map((i) => conn.send(Uint8Array.of(i)));
    });
    t.same(statuses, [SendStatus.SENT, SendStatus.SENT, SendStatus.SENT], 'small sends are SENT');
    await waitFor(() => c.received.length === 3, 'three frames at the client');
    t.same(
      c.received.map((b) => b[0]),
      [1, 2, 3],
      'a corked batch arrives in order',
    );

    conn.close(4321, 'done here');
    t.same(await c.closed, { code: 4321, reason: 'done here' }, 'the client sees code and reason');
    await s.closeOf(conn);
    t.equal(conn.closed, true, 'the connection knows it is closed');
    t.equal(conn.send(Uint8Array.of(9)), SendStatus.DROPPED, 'a send after close is DROPPED');
    t.equal(conn.bufferedAmount(), 0);
    conn.close(1000, 'again'); // closing twice is harmless
  });

  t.test(`${transport}: a client that closes is reported with its code`, async (t) => {
    const s = await startServer(t, transport);
    const c = connect(s.port);
    await c.opened;
    const conn = await s.nextOpen();
    c.ws.close(4100, 'client leaves');
    const seen = await s.closeOf(conn);
    t.equal(seen.code, 4100);
    t.equal(seen.reason, 'client leaves');
  });

  t.test(`${transport}: plain HTTP on the WebSocket port gets 426`, async (t) => {
    const s = await startServer(t, transport);
    const res = await httpGet(s.port);
    t.equal(res.status, 426);
    t.match(res.body, /WebSocket only/);
    t.equal(s.opened.length, 0, 'no connection was opened');
  });

  t.test(`${transport}: a frame over the hard limit closes with 1009`, async (t) => {
    const s = await startServer(t, transport, { maxPayloadBytes: 1024 });
    const c = connect(s.port);
    await c.opened;
    const conn = await s.nextOpen();
    c.ws.send(new Uint8Array(1500));
    const closed = await c.closed;
    t.equal(closed.code, 1009, 'message too big');
    await s.closeOf(conn);
    t.equal(s.messages.length, 0, 'the oversized frame never reached the handler');
  });

  t.test(
    `${transport}: a peer that stops reading: BACKPRESSURE, then DROPPED, then drain`,
    async (t) => {
      const s = await startServer(t, transport, { maxBackpressureBytes: 64 * 1024 });
      const c = connect(s.port);
      await c.opened;
      const conn = await s.nextOpen();
      const socket = (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
      socket.pause();
      const chunk = new Uint8Array(32 * 1024).fill(7);
      const statuses: number[] = [];
      // The kernel's socket buffers take a few MB first; give them time to fill.
      for (let i = 0; i < 4000 && !statuses.includes(SendStatus.DROPPED); i++) {
        statuses.push(conn.send(chunk));
        if (i % 50 === 49) await new Promise((r) => setTimeout(r, 5));
      }
      t.ok(statuses.includes(SendStatus.BACKPRESSURE), 'BACKPRESSURE came first');
      t.equal(statuses.at(-1), SendStatus.DROPPED, 'then the send was refused');
      t.ok(
        statuses.indexOf(SendStatus.BACKPRESSURE) < statuses.indexOf(SendStatus.DROPPED),
        'BACKPRESSURE before DROPPED',
      );
      t.ok(conn.bufferedAmount() > 64 * 1024, 'the server reports what it holds');
      const accepted = statuses.filter((x) => x !== SendStatus.DROPPED).length;
      const drained = s.nextDrain();
      socket.resume();
      t.equal(await drained, conn, 'drain fires for the connection once the peer reads');
      await waitFor(() => c.received.length === accepted, `${accepted} frames`, 20_000);
      t.equal(c.received.length, accepted, 'every accepted frame arrived, none that was refused');
      t.ok(
        c.received.every((b) => b.byteLength === chunk.byteLength),
        'each whole',
      );
      t.equal(conn.send(Uint8Array.of(1)), SendStatus.SENT, 'sending works again after the drain');
    },
  );

  t.test(`${transport}: connection caps refuse with 503 / 429 and a JSON body`, async (t) => {
    const refused: string[] = [];
    const caps = new ConnectionCaps(2, 1, 'WebSocket connections', (r) => refused.push(r));
    const s = await startServer(t, transport, { caps });
    const a = connect(s.port);
    await a.opened;
    const aConn = await s.nextOpen();
    t.equal(caps.open, 1);

    const perAddress = await httpGet(s.port, upgradeHeaders);
    t.equal(perAddress.status, 429, 'a second connection from the same address: 429');
    t.equal(perAddress.headers['retry-after'], '5');
    t.match(perAddress.headers['content-type'], /application\/json/);
    const body = JSON.parse(perAddress.body) as { error: { code: string; message: string } };
    t.equal(body.error.code, 'TOO_MANY_CONNECTIONS');
    t.match(body.error.message, /per address/);
    t.same(refused, ['per_address'], 'the refusal was counted');

    a.ws.close();
    await s.closeOf(aConn);
    t.equal(caps.open, 0, 'a closed connection frees its slot');
    const b = connect(s.port);
    await b.opened;
    t.pass('and the address may connect again');
    b.ws.close();
    await b.closed;
  });

  t.test(`${transport}: the hub-wide cap answers 503`, async (t) => {
    const caps = new ConnectionCaps(1, 0, 'WebSocket connections');
    const s = await startServer(t, transport, { caps });
    const a = connect(s.port);
    await a.opened;
    const res = await httpGet(s.port, upgradeHeaders);
    t.equal(res.status, 503);
    t.match(JSON.parse(res.body).error.message, /the hub has 1 WebSocket connections open/);
    a.ws.close();
    await a.closed;
  });

  t.test(
    `${transport}: stopListening keeps open connections; close ends them with 1001`,
    async (t) => {
      const s = await startServer(t, transport, {}, true);
      const c = connect(s.port);
      await c.opened;
      await s.nextOpen();
      s.server.stopListening();
      const late = connect(s.port);
      await t.rejects(late.opened, 'a new connection is refused');
      c.ws.send(Uint8Array.of(42));
      await waitFor(() => c.received.length === 1, 'the echo');
      t.equal(c.received[0]![0], 42, 'the open connection still works');
      await s.server.close();
      const closed = await c.closed;
      t.equal(closed.code, 1001, 'closed as going away');
      t.equal(closed.reason, 'hub shutting down');
    },
  );

  t.test(`${transport}: an address it cannot bind fails listen() with a clear error`, async (t) => {
    const server = createSocketServer(
      transport,
      {
        // TEST-NET-1 (RFC 5737): never an address of this machine.
        host: '192.0.2.1',
        port: 0,
        maxPayloadBytes: 1024,
        maxBackpressureBytes: 1024,
        idleTimeoutSec: 30,
      },
      { onOpen() {}, onMessage() {}, onDrain() {}, onClose() {} },
      () => {},
    );
    await t.rejects(
      server.listen(),
      transport === 'uws' ? /cannot listen on 192\.0\.2\.1:0/ : /EADDRNOTAVAIL/,
    );
    await server.close();
  });
}
