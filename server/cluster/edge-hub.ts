import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Redis } from 'ioredis';
import { CloseCode, ErrorCode } from '../../protocol/index.js';
import { createSocketServer, type TransportChoice } from '../transport/create-socket-server.js';
import { SendStatus, type Connection, type SocketServer } from '../transport/socket-server.js';
import { createNodeServer, type TlsSource } from '../transport/tls-options.js';
import { slowClientOptions } from '../transport/node-http-limits.js';
import type { ClusterNames } from './relay-channels.js';
import { RelayInbox, RelayOutbox } from './relay-link.js';
import { decodeBatch, RelayOp } from './relay-wire.js';
import { readLeader, type LeaderInfo } from './leader-info.js';

export interface EdgeLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface EdgeHubOptions {
  hubId: string;
  host: string;
  wsPort: number;
  httpPort: number;
  transport: TransportChoice;
  tls?: TlsSource | undefined;
  maxPayloadBytes: number;
  maxBackpressureBytes: number;
  idleTimeoutSec: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** The presence key's TTL; refreshed three times within it. */
  presenceTtlMs: number;
  /** The presence key's value, given this edge's ports (0 until open); default `1`. */
  presence?: (ports: { wsPort: number; httpPort: number }) => string;
  /** How often the leader's record is read (a change closes the relayed connections). */
  leaderPollMs: number;
  names: ClusterNames;
  sub: Redis;
  pub: Redis;
  log: EdgeLog;
}

/**
 * A hub that does not lead: it holds its clients' WebSockets and relays their frames, as
 * they are, to the leader over Redis (pub/sub, batched per turn), and the leader's frames
 * back. Its HTTP port forwards each request to the leader's. It keeps no task state and
 * applies no rule: the leader's hub authenticates every hello and runs every operation, so
 * a client sees the same hub whichever one it reached. When the leader changes, the relayed
 * connections are closed with 1012 and clients reconnect (to any hub).
 */
export class EdgeHub {
  private ws: SocketServer | undefined;
  private http: Server | HttpsServer | undefined;
  private leader: LeaderInfo | undefined;
  private outbox: RelayOutbox | undefined;
  private readonly inbox = new RelayInbox();
  /** Relayed id (`hubId/connId`) → the client's connection. */
  private readonly conns = new Map<string, Connection>();
  private readonly relayId = new Map<Connection, string>();
  private timers: NodeJS.Timeout[] = [];
  private readonly channel: string;
  private stopped = false;
  wsPort = 0;
  httpPort = 0;
  private readonly onBuffer = (channel: Buffer, message: Buffer): void => {
    if (channel.toString() === this.channel) this.receive(message);
  };

  constructor(private readonly o: EdgeHubOptions) {
    this.channel = o.names.relayChannel(o.hubId);
  }

  /** The leader this edge relays to, when one is known. */
  get leaderId(): string | undefined {
    return this.leader?.hubId;
  }

  get ready(): boolean {
    return this.leader !== undefined && this.o.pub.status === 'ready';
  }

  async start(): Promise<void> {
    this.o.sub.on('messageBuffer', this.onBuffer);
    await this.o.sub.subscribe(this.channel);
    // A subscriber that reconnected missed whatever was published meanwhile.
    this.o.sub.on('ready', this.onResubscribed);
    await this.refreshPresence();
    await this.pollLeader();
    this.timers.push(
      setInterval(() => void this.refreshPresence(), Math.max(50, this.o.presenceTtlMs / 3)),
      setInterval(() => void this.pollLeader(), this.o.leaderPollMs),
    );
    for (const t of this.timers) t.unref();
    this.ws = createSocketServer(
      this.o.transport,
      {
        host: this.o.host,
        port: this.o.wsPort,
        maxPayloadBytes: this.o.maxPayloadBytes,
        maxBackpressureBytes: this.o.maxBackpressureBytes,
        idleTimeoutSec: this.o.idleTimeoutSec,
        tls: this.o.tls,
        headersTimeoutMs: this.o.headersTimeoutMs,
      },
      {
        onOpen: (conn, info) => this.clientOpened(conn, info.url),
        onMessage: (conn, bytes) => {
          const id = this.relayId.get(conn);
          // uWebSockets.js reuses `bytes` after this call returns: copy.
          if (id !== undefined) this.outbox?.push([RelayOp.frame, id, Buffer.from(bytes)]);
        },
        onDrain: () => {},
        onClose: (conn, code, reason) => {
          const id = this.relayId.get(conn);
          if (id === undefined) return;
          this.relayId.delete(conn);
          this.conns.delete(id);
          this.outbox?.push([RelayOp.close, id, code, reason]);
        },
      },
      (msg) => this.o.log.warn({}, msg),
    );
    this.wsPort = await this.ws.listen();
    this.http = createNodeServer(
      this.o.tls,
      slowClientOptions(this.o.headersTimeoutMs, this.o.requestTimeoutMs),
      (req, res) => this.forward(req, res),
    );
    this.httpPort = await new Promise<number>((resolve, reject) => {
      this.http!.once('error', reject);
      this.http!.listen(this.o.httpPort, this.o.host, () => {
        const addr = this.http!.address();
        resolve(typeof addr === 'object' && addr ? addr.port : this.o.httpPort);
      });
    });
    this.o.log.info(
      { hubId: this.o.hubId, wsPort: this.wsPort, httpPort: this.httpPort, leader: this.leaderId },
      'cluster: serving as an edge (relaying to the leader)',
    );
  }

  /** Close every client connection with `code` and both ports. */
  async stop(code: number = CloseCode.GOING_AWAY, reason = 'hub stopping'): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.closeAll(code, reason);
    this.outbox?.flush();
    this.o.sub.off('messageBuffer', this.onBuffer);
    this.o.sub.off('ready', this.onResubscribed);
    await this.o.sub.unsubscribe(this.channel).catch(() => undefined);
    await this.o.pub.del(this.o.names.edgeKey(this.o.hubId)).catch(() => undefined);
    await this.ws?.close();
    await new Promise<void>((resolve) => {
      if (!this.http) return resolve();
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  private readonly onResubscribed = (): void => {
    if (this.conns.size === 0) return;
    this.o.log.warn({ connections: this.conns.size }, 'relay: Redis reconnected; resetting');
    this.closeAll(CloseCode.SERVICE_RESTART, 'relay interrupted; reconnect');
  };

  private clientOpened(conn: Connection, url: string): void {
    if (!this.leader || !this.outbox || this.o.pub.status !== 'ready') {
      conn.close(CloseCode.TRY_AGAIN_LATER, 'no hub of the cluster leads yet; reconnect shortly');
      return;
    }
    const id = `${this.o.hubId}/${conn.id}`;
    this.conns.set(id, conn);
    this.relayId.set(conn, id);
    this.outbox.push([RelayOp.open, id, conn.remoteAddress, url]);
  }

  private closeAll(code: number, reason: string): void {
    for (const [id, conn] of [...this.conns]) {
      this.conns.delete(id);
      this.relayId.delete(conn);
      conn.close(code, reason);
    }
  }

  private receive(message: Buffer): void {
    const batch = decodeBatch(message);
    if (!batch || batch.from !== this.leader?.hubId) return;
    if (!this.inbox.accept(batch.from, batch.seq)) {
      this.o.log.warn({ seq: batch.seq }, 'relay: batches from the leader lost; resetting');
      this.closeAll(CloseCode.SERVICE_RESTART, 'relay lost frames; reconnect');
      return;
    }
    for (const op of batch.ops) {
      const conn = this.conns.get(op[1]);
      if (!conn) continue;
      if (op[0] === RelayOp.frame) {
        if (conn.send(op[2]) === SendStatus.DROPPED) {
          this.conns.delete(op[1]);
          this.relayId.delete(conn);
          this.outbox?.push([RelayOp.close, op[1], CloseCode.PROTOCOL_ABUSE, 'unread frames']);
          conn.close(CloseCode.PROTOCOL_ABUSE, 'too many unread frames');
        }
      } else if (op[0] === RelayOp.close) {
        this.conns.delete(op[1]);
        this.relayId.delete(conn);
        conn.close(op[2], op[3]);
      }
    }
  }

  private async refreshPresence(): Promise<void> {
    try {
      const value = this.o.presence?.({ wsPort: this.wsPort, httpPort: this.httpPort }) ?? '1';
      await this.o.pub.set(this.o.names.edgeKey(this.o.hubId), value, 'PX', this.o.presenceTtlMs);
    } catch {
      // Redis unreachable: the leader will drop this edge's connections, as it should.
    }
  }

  private async pollLeader(): Promise<void> {
    let next: LeaderInfo | undefined;
    try {
      next = await readLeader(this.o.pub, this.o.names);
    } catch {
      return; // Redis unreachable: keep what we know; the relay itself will tell.
    }
    // The epoch, not only the hub id: a leader restarted under the same id (a fixed
    // redis.hubId) is another process, which knows none of the connections relayed to its
    // predecessor; they would hang until their clients' heartbeats time out.
    if (
      this.stopped ||
      (next?.hubId === this.leader?.hubId && next?.epoch === this.leader?.epoch)
    ) {
      if (next) this.leader = next;
      return;
    }
    if (this.conns.size > 0) {
      this.o.log.info(
        { from: this.leader?.hubId, to: next?.hubId, connections: this.conns.size },
        'cluster: the leader changed; closing relayed connections',
      );
    }
    this.closeAll(CloseCode.SERVICE_RESTART, 'the cluster leader changed; reconnect');
    this.leader = next;
    this.inbox.forget(next?.hubId ?? '');
    this.outbox = next
      ? new RelayOutbox(this.o.pub, this.o.names.relayChannel(next.hubId), this.o.hubId, (err) =>
          this.o.log.warn({ err: err.message }, 'relay: could not publish to the leader'),
        )
      : undefined;
  }

  /** The edge's own health and readiness; every other request goes to the leader's port. */
  private forward(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health' || path === '/healthz') {
      json(res, 200, {
        status: 'ok',
        role: 'edge',
        hubId: this.o.hubId,
        leader: this.leaderId ?? null,
      });
      return;
    }
    if (path === '/ready' || path === '/readyz') {
      const ready = this.ready;
      json(res, ready ? 200 : 503, {
        ready,
        role: 'edge',
        hubId: this.o.hubId,
        leader: this.leaderId ?? null,
      });
      return;
    }
    const leader = this.leader;
    if (!leader) {
      this.unavailable(res, 'no hub of the cluster leads yet; retry shortly');
      return;
    }
    const target = new URL(req.url ?? '/', leader.httpUrl);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const upstream = send(
      target,
      {
        method: req.method,
        headers: {
          ...req.headers,
          host: target.host,
          'x-forwarded-for': req.socket.remoteAddress ?? '',
        },
        // Verified like any TLS client: the leader's certificate must name the host it
        // advertises (redis.advertiseHost); a private CA is trusted via NODE_EXTRA_CA_CERTS.
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (err) => {
      if (res.headersSent) res.destroy();
      else this.unavailable(res, `the leader's HTTP port did not answer: ${err.message}`);
    });
    req.pipe(upstream);
    res.on('close', () => upstream.destroy());
  }

  private unavailable(res: ServerResponse, message: string): void {
    json(res, 503, { error: { code: ErrorCode.NOT_READY, message } });
  }
}

function json(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
