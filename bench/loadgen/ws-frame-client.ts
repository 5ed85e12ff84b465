import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { packr, unpackr } from '../peers/plain-msgpack.js';

/** A frame as decoded from plain msgpack: a map whose `t` is the frame type. */
export interface WireFrame {
  readonly t: string;
  readonly id?: number;
  readonly [field: string]: unknown;
}

/**
 * A minimal msgpack-over-WebSocket client for load generators (bare-uWS peer; reusable for
 * any server speaking Switchboard's frames): request/reply by `id`, everything else to
 * `onFrame`. No validation, no reconnects — a benchmark connection that fails, fails the run.
 *
 * Sends are corked: the first send in an event-loop turn corks the TCP socket and a
 * setImmediate uncorks it, so every frame queued in one turn leaves in one write (as the
 * bare server does with uWS cork()). Measured here this halves the client's CPU per task.
 * `ws` has no public cork, so this reaches its underlying net.Socket (`_socket`, stable
 * across ws 7–8); when absent, sends are simply uncorked.
 */
export class WsFrameClient {
  private nextId = 1;
  private corked = false;
  private readonly waiting = new Map<number, (f: WireFrame) => void>();
  onFrame: (f: WireFrame) => void = () => {};

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const f = unpackr.unpack(data) as WireFrame;
      const reply = f.id !== undefined ? this.waiting.get(f.id) : undefined;
      if (reply) {
        this.waiting.delete(f.id!);
        reply(f);
      } else this.onFrame(f);
    });
  }

  static connect(url: string): Promise<WsFrameClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      ws.once('open', () => resolve(new WsFrameClient(ws)));
      ws.once('error', reject);
    });
  }

  /** Send without waiting for a reply. */
  send(frame: object): void {
    if (!this.corked) {
      const socket = (this.ws as unknown as { _socket?: Socket })._socket;
      if (socket) {
        this.corked = true;
        socket.cork();
        setImmediate(() => {
          this.corked = false;
          socket.uncork();
        });
      }
    }
    this.ws.send(packr.pack(frame));
  }

  /** Send a frame with a fresh `id` and resolve with the reply that echoes it. */
  request(frame: Record<string, unknown>): Promise<WireFrame> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.send({ ...frame, id });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}
