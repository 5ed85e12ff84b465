import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ForwardInfo } from '../gateway/node-executor.js';

export interface PortForwardOptions {
  id: string;
  nodeId: string;
  /** Where the node connects each connection to, as the node sees it. */
  host: string;
  port: number;
  owner: string | undefined;
  bindHost: string;
  /** Live connections at once; one more is closed at once (and counted as refused). */
  maxConnections: number;
  /**
   * A channel to host:port through the node's connection of the moment, made per accepted
   * connection: a pooled connection that reconnected serves the next one.
   */
  open: () => Promise<Duplex>;
  now: () => number;
}

/**
 * One port forward: a TCP listener on the hub whose every accepted connection is carried
 * over a channel through the node to `host:port` (an `ssh -L` that lives in the hub). The
 * listener outlives the node's SSH connection: a connection that drops takes the channels
 * on it along (their sockets are closed), and the next accepted connection opens its
 * channel on the connection made anew. `close()` stops listening and cuts every live
 * connection; a forward never opens again.
 */
export class PortForward {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly channels = new Set<Duplex>();
  private closing: Promise<void> | undefined;
  private readonly createdAt: number;
  private localPort = 0;
  private total = 0;
  private refused = 0;
  private failed = 0;
  private bytesIn = 0;
  private bytesOut = 0;
  private lastError: string | undefined;

  constructor(private readonly o: PortForwardOptions) {
    this.createdAt = o.now();
    // Half-open: a client that is done sending (FIN) still gets the rest of the answer; the
    // socket ends when the channel does.
    this.server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (s) =>
      this.accept(s),
    );
  }

  get id(): string {
    return this.o.id;
  }

  get nodeId(): string {
    return this.o.nodeId;
  }

  get owner(): string | undefined {
    return this.o.owner;
  }

  get port(): number {
    return this.localPort;
  }

  /** Listen on `port` (0: one the OS chooses). Rejects with the listen error (EADDRINUSE…). */
  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen({ port, host: this.o.bindHost, exclusive: true }, () => {
        this.server.off('error', onError);
        // Accept errors later on (EMFILE) must not crash the hub; the next accept may work.
        this.server.on('error', (err) => (this.lastError = err.message));
        const addr = this.server.address();
        this.localPort = typeof addr === 'object' && addr ? addr.port : port;
        resolve(this.localPort);
      });
    });
  }

  info(): ForwardInfo {
    return {
      id: this.o.id,
      nodeId: this.o.nodeId,
      host: this.o.host,
      port: this.o.port,
      bindHost: this.o.bindHost,
      localPort: this.localPort,
      owner: this.o.owner,
      createdAt: this.createdAt,
      connections: this.sockets.size,
      totalConnections: this.total,
      refusedConnections: this.refused,
      failedConnections: this.failed,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      lastError: this.lastError,
    };
  }

  /** Stop listening and cut every live connection. Idempotent; resolves once the port is free. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const s of this.sockets) s.destroy();
      for (const c of this.channels) c.destroy();
      if (!this.server.listening) {
        resolve();
        return;
      }
      this.server.close(() => resolve());
    });
    return this.closing;
  }

  private accept(socket: Socket): void {
    socket.on('error', () => undefined);
    if (this.closing) {
      socket.destroy();
      return;
    }
    if (this.sockets.size >= this.o.maxConnections) {
      this.refused++;
      socket.destroy();
      return;
    }
    this.total++;
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    // The socket stays paused (pauseOnConnect) until its channel is open: nothing it sends
    // is read before there is somewhere to put it.
    this.o.open().then(
      (channel) => {
        if (this.closing || socket.destroyed) {
          channel.destroy();
          return;
        }
        this.channels.add(channel);
        channel.on('error', (err: Error) => (this.lastError = err.message));
        channel.once('close', () => {
          this.channels.delete(channel);
          socket.destroy();
        });
        socket.once('close', () => channel.destroy());
        socket.on('data', (d: Buffer) => (this.bytesIn += d.length));
        channel.on('data', (d: Buffer) => (this.bytesOut += d.length));
        // pipe() carries backpressure both ways and passes each side's end (FIN) on.
        socket.pipe(channel);
        channel.pipe(socket);
        socket.resume();
      },
      (err: unknown) => {
        this.failed++;
        this.lastError = (err as Error).message;
        socket.destroy();
      },
    );
  }
}
