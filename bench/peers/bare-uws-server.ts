import type { WebSocket } from 'uWebSockets.js';
import { send } from '../lib/child-main.js';
import { loadUws } from './load-uws.js';
import { packr, unpackr } from './plain-msgpack.js';

/**
 * The physical limit: a bare uWebSockets.js server exchanging Switchboard's frames with no
 * hub logic (no validation, no state machine, no leases, no persistence). Workers `register`
 * with a concurrency and get `task` frames round-robin while they have credit; `complete`
 * returns credit and is forwarded to the submitting producer as `result`. Producers send
 * `submit_many` and get `submitted_many`. Outgoing frames are queued per socket and flushed
 * once per event-loop turn inside cork(), so many frames share one syscall — the batching a
 * real hub should do too.
 *
 * Usage: node dist/bench/peers/bare-uws-server.js --port P   (prints {"bench":"ready",...})
 */
interface Conn {
  worker: boolean;
  credit: number;
  outbox: Uint8Array[];
}
type Sock = WebSocket<Conn>;
interface Pending {
  readonly id: string;
  readonly queue: string;
  readonly payload: unknown;
  readonly producer: Sock;
}
type Frame = { t: string; id?: number; [k: string]: unknown };

const uws = loadUws();
const portArg = process.argv.indexOf('--port');
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0;

const workers: Sock[] = [];
let rr = 0;
let queue: Pending[] = [];
let head = 0;
let seq = 0;
const producerOf = new Map<string, Sock>();
const dirty = new Set<Sock>();
let flushScheduled = false;

function enqueue(ws: Sock, frame: object): void {
  // Copy: pack() returns a view of the encoder's shared buffer.
  ws.getUserData().outbox.push(packr.pack(frame).slice());
  dirty.add(ws);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

function flush(): void {
  flushScheduled = false;
  for (const ws of dirty) {
    // MUST: sends to a socket other than the one whose handler is running are not corked by
    // uWS; cork so that all frames leave in one write. Backpressure is bounded by worker
    // credit and the producer's submit window; maxBackpressure is set high enough for both.
    try {
      const conn = ws.getUserData();
      const frames = conn.outbox;
      conn.outbox = [];
      ws.cork(() => {
        for (const f of frames) ws.send(f, true);
      });
    } catch {
      // the socket closed meanwhile
    }
  }
  dirty.clear();
}

function dispatch(): void {
  let idle = 0;
  while (head < queue.length && workers.length > 0 && idle < workers.length) {
    rr = (rr + 1) % workers.length;
    const w = workers[rr]!;
    const conn = w.getUserData();
    if (conn.credit <= 0) {
      idle++;
      continue;
    }
    idle = 0;
    conn.credit--;
    const task = queue[head++]!;
    enqueue(w, {
      t: 'task',
      taskId: task.id,
      queue: task.queue,
      payload: task.payload,
      attempt: 1,
      maxAttempts: 3,
      priority: 'normal',
      timeoutMs: 0,
      createdAt: Date.now(),
    });
  }
  if (head > 4096 && head * 2 > queue.length) {
    queue = queue.slice(head);
    head = 0;
  }
}

function onFrame(ws: Sock, f: Frame): void {
  const conn = ws.getUserData();
  switch (f.t) {
    case 'hello':
      enqueue(ws, {
        t: 'welcome',
        id: f.id,
        protocol: 1,
        sessionId: String(seq++),
        role: 'producer',
        hubVersion: 'bare',
        heartbeatMs: 0,
        maxFrameBytes: 16 << 20,
      });
      return;
    case 'register':
      conn.worker = true;
      conn.credit = typeof f.concurrency === 'number' ? f.concurrency : 1;
      workers.push(ws);
      enqueue(ws, {
        t: 'registered',
        id: f.id,
        workerId: `w${workers.length}`,
        resumed: [],
        dropped: [],
      });
      dispatch();
      return;
    case 'submit_many': {
      const tasks = f.tasks as { queue: string; payload: unknown }[];
      const taskIds: string[] = new Array(tasks.length);
      for (let k = 0; k < tasks.length; k++) {
        const id = (seq++).toString(36).padStart(10, '0');
        taskIds[k] = id;
        queue.push({ id, queue: tasks[k]!.queue, payload: tasks[k]!.payload, producer: ws });
        producerOf.set(id, ws);
      }
      enqueue(ws, { t: 'submitted_many', id: f.id, taskIds, duplicates: [] });
      dispatch();
      return;
    }
    case 'complete': {
      conn.credit++;
      const id = f.taskId as string;
      const producer = producerOf.get(id);
      producerOf.delete(id);
      if (producer)
        enqueue(producer, { t: 'result', taskId: id, status: 'completed', result: f.result });
      dispatch();
      return;
    }
    default:
      enqueue(ws, { t: 'error', id: f.id, code: 'BAD_FRAME', message: `unknown frame ${f.t}` });
  }
}

const app = uws.App().ws<Conn>('/*', {
  compression: uws.DISABLED,
  maxPayloadLength: 16 << 20,
  maxBackpressure: 256 << 20,
  idleTimeout: 0,
  upgrade: (res, req, context) => {
    res.upgrade<Conn>(
      { worker: false, credit: 0, outbox: [] },
      req.getHeader('sec-websocket-key'),
      req.getHeader('sec-websocket-protocol'),
      req.getHeader('sec-websocket-extensions'),
      context,
    );
  },
  message: (ws, message) => {
    // MUST: `message` is only valid during this call; unpack decodes it synchronously.
    onFrame(ws, unpackr.unpack(new Uint8Array(message)) as Frame);
  },
  close: (ws) => {
    const i = workers.indexOf(ws);
    if (i >= 0) workers.splice(i, 1);
    dirty.delete(ws);
  },
});

app.listen('127.0.0.1', port, (listenSocket) => {
  if (!listenSocket) {
    send({ bench: 'error', message: `cannot listen on 127.0.0.1:${port}` });
    process.exit(1);
  }
  send({
    bench: 'ready',
    port: uws.us_socket_local_port(listenSocket),
    info: { server: 'bare uWebSockets.js' },
  });
  const stop = (): void => {
    uws.us_listen_socket_close(listenSocket);
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
});
