import type { Redis } from 'ioredis';
import { CloseCode } from '../../protocol/index.js';
import {
  SendStatus,
  type Connection,
  type SendStatusValue,
  type SocketHandlers,
  type SocketServer,
} from '../transport/socket-server.js';
import type { ClusterNames } from './relay-channels.js';
import { RelayInbox, RelayOutbox } from './relay-link.js';
import { decodeBatch, RelayOp, type RelayBatch } from './relay-wire.js';

export interface RelayLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/** How often the leader checks that the edges holding its relayed connections still run. */
const EDGE_CHECK_MS = 1000;

/** A client connected to an edge hub, as the leader's hub sees it: a Connection like any other. */
class RelayedConnection implements Connection {
  closed = false;

  constructor(
    readonly id: string,
    readonly edge: string,
    readonly remoteAddress: string,
    private readonly server: RelayServer,
  ) {}

  send(bytes: Uint8Array): SendStatusValue {
    if (this.closed) return SendStatus.DROPPED;
    // The caller's buffer is the shared encoder's: copy before it is reused.
    this.server.outbox(this.edge).push([RelayOp.frame, this.id, Buffer.from(bytes)]);
    return SendStatus.SENT;
  }

  bufferedAmount(): number {
    return 0;
  }

  cork(fn: () => void): void {
    fn();
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.server.outbox(this.edge).push([RelayOp.close, this.id, code, reason]);
    this.server.ended(this, code, reason);
  }
}

/**
 * The leader's side of the relay: the connections edge hubs hold, delivered to the hub as a
 * SocketServer beside its own WebSocket port, so the hub (and every rule behind it) cannot
 * tell a relayed client from a local one. Edges that stop refreshing their presence key
 * (killed, cut off) lose their connections here the way a dropped socket would.
 */
export class RelayServer implements SocketServer {
  readonly kind = 'relay' as const;
  private readonly conns = new Map<string, RelayedConnection>();
  private readonly byEdge = new Map<string, Set<RelayedConnection>>();
  private readonly outboxes = new Map<string, RelayOutbox>();
  private readonly inbox = new RelayInbox();
  private accepting = false;
  private edgeTimer: NodeJS.Timeout | undefined;
  private readonly onBuffer = (channel: Buffer, message: Buffer): void => {
    if (channel.toString() === this.channel) this.receive(message);
  };
  private readonly channel: string;

  constructor(
    private readonly sub: Redis,
    private readonly pub: Redis,
    private readonly names: ClusterNames,
    private readonly hubId: string,
    private readonly handlers: SocketHandlers,
    private readonly log: RelayLog,
  ) {
    this.channel = names.relayChannel(hubId);
  }

  async listen(): Promise<number> {
    this.sub.on('messageBuffer', this.onBuffer);
    // Redis may be away right now (a leader can take the lease just before Redis dies):
    // the hub must still start; the subscription is made once Redis answers.
    this.sub.on('ready', this.subscribe);
    await this.subscribe();
    this.accepting = true;
    this.edgeTimer = setInterval(() => void this.checkEdges(), EDGE_CHECK_MS);
    this.edgeTimer.unref();
    return 0;
  }

  stopListening(): void {
    this.accepting = false;
  }

  async close(): Promise<void> {
    this.accepting = false;
    clearInterval(this.edgeTimer);
    for (const conn of [...this.conns.values()]) conn.close(CloseCode.GOING_AWAY, 'hub stopping');
    for (const box of this.outboxes.values()) box.flush();
    this.sub.off('messageBuffer', this.onBuffer);
    this.sub.off('ready', this.subscribe);
    await this.sub.unsubscribe(this.channel).catch(() => undefined);
  }

  /**
   * Subscribe to this hub's channel; never rejects. A subscription made is renewed by
   * ioredis after a reconnect; one refused (the connection was down) is made on 'ready'.
   */
  private readonly subscribe = async (): Promise<void> => {
    try {
      await this.sub.subscribe(this.channel);
    } catch (err) {
      this.log.warn(
        { err: (err as Error).message },
        'relay: cannot subscribe yet (Redis unreachable); subscribing when it answers',
      );
    }
  };

  /** Relayed connections open now (tests, metrics). */
  get size(): number {
    return this.conns.size;
  }

  outbox(edge: string): RelayOutbox {
    let box = this.outboxes.get(edge);
    if (!box) {
      box = new RelayOutbox(this.pub, this.names.relayChannel(edge), this.hubId, (err) =>
        this.log.warn({ edge, err: err.message }, 'relay: could not publish to an edge'),
      );
      this.outboxes.set(edge, box);
    }
    return box;
  }

  /** A relayed connection ended (either side): the hub hears of it as of a closed socket. */
  ended(conn: RelayedConnection, code: number, reason: string): void {
    if (conn.closed) return;
    conn.closed = true;
    this.conns.delete(conn.id);
    this.byEdge.get(conn.edge)?.delete(conn);
    this.handlers.onClose(conn, code, reason);
  }

  private receive(message: Buffer): void {
    const batch = decodeBatch(message);
    if (!batch) {
      this.log.warn({ bytes: message.length }, 'relay: dropped a message that is not a batch');
      return;
    }
    if (!this.inbox.accept(batch.from, batch.seq)) {
      // Frames of that edge's clients were lost: their sessions cannot go on as if not.
      this.log.warn({ edge: batch.from, seq: batch.seq }, 'relay: batches lost; resetting');
      this.dropEdge(batch.from, CloseCode.SERVICE_RESTART, 'relay lost frames; reconnect');
    }
    this.apply(batch);
  }

  private apply(batch: RelayBatch): void {
    for (const op of batch.ops) {
      try {
        switch (op[0]) {
          case RelayOp.open:
            this.open(batch.from, op[1], op[2], op[3]);
            break;
          case RelayOp.frame: {
            const conn = this.conns.get(op[1]);
            if (conn && !conn.closed) this.handlers.onMessage(conn, op[2], true);
            break;
          }
          case RelayOp.close: {
            const conn = this.conns.get(op[1]);
            if (conn) this.ended(conn, op[2], op[3]);
            break;
          }
        }
      } catch (err) {
        // The hub guards each session itself; this is a relay bug, and one op's.
        this.log.warn({ edge: batch.from, err: (err as Error).message }, 'relay: op failed');
      }
    }
  }

  private open(edge: string, id: string, remoteAddress: string, url: string): void {
    if (!this.accepting) {
      this.outbox(edge).push([RelayOp.close, id, CloseCode.GOING_AWAY, 'hub stopping']);
      return;
    }
    const old = this.conns.get(id);
    if (old) this.ended(old, CloseCode.SERVICE_RESTART, 'reopened');
    const conn = new RelayedConnection(id, edge, remoteAddress, this);
    this.conns.set(id, conn);
    let set = this.byEdge.get(edge);
    if (!set) this.byEdge.set(edge, (set = new Set()));
    set.add(conn);
    this.handlers.onOpen(conn, { url, headers: {} });
  }

  private dropEdge(edge: string, code: number, reason: string): void {
    const set = this.byEdge.get(edge);
    if (!set) return;
    for (const conn of [...set]) conn.close(code, reason);
    this.byEdge.delete(edge);
  }

  private async checkEdges(): Promise<void> {
    const edges = [...this.byEdge.keys()].filter((e) => (this.byEdge.get(e)?.size ?? 0) > 0);
    if (edges.length === 0) return;
    let alive: number[];
    try {
      const pipe = this.pub.pipeline();
      for (const e of edges) pipe.exists(this.names.edgeKey(e));
      const res = (await pipe.exec()) ?? [];
      alive = res.map(([err, n]) => (err ? 1 : Number(n)));
    } catch {
      return; // Redis unreachable: nothing can be concluded about the edges.
    }
    edges.forEach((edge, i) => {
      if (alive[i] !== 0) return;
      this.log.info({ edge, connections: this.byEdge.get(edge)?.size }, 'relay: edge gone');
      const set = this.byEdge.get(edge);
      for (const conn of [...(set ?? [])]) this.ended(conn, 1006, 'edge hub gone');
      this.byEdge.delete(edge);
      this.outboxes.delete(edge);
      this.inbox.forget(edge);
    });
  }
}
