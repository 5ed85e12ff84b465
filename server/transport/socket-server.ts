import type { TlsSource } from './tls-options.js';
import type { ConnectionCaps } from './connection-caps.js';

/**
 * The WebSocket port behind one interface, so the hub does not care whether
 * uWebSockets.js or the `ws` fallback carries the bytes.
 */

/** What `send` did with a frame. Mirrors uWebSockets.js. */
export const SendStatus = {
  /** Handed to the kernel (or the cork buffer). */
  SENT: 1,
  /** Accepted but buffered above the backpressure threshold: wait for `onDrain` before more. */
  BACKPRESSURE: 0,
  /** NOT sent: the buffer was over its hard limit. The caller still owns the frame. */
  DROPPED: 2,
} as const;
export type SendStatusValue = (typeof SendStatus)[keyof typeof SendStatus];

export interface Connection {
  readonly id: string;
  readonly remoteAddress: string;
  /** MUST NOT be called after `onClose` fired for this connection. */
  send(bytes: Uint8Array): SendStatusValue;
  bufferedAmount(): number;
  /** Run `fn` with writes batched into one syscall where the transport supports it. */
  cork(fn: () => void): void;
  close(code: number, reason: string): void;
  readonly closed: boolean;
}

export interface UpgradeInfo {
  url: string;
  headers: Record<string, string>;
}

export interface SocketHandlers {
  onOpen(conn: Connection, info: UpgradeInfo): void;
  /**
   * `bytes` is only valid during this call (uWebSockets.js reuses the memory):
   * decode synchronously, copy anything kept.
   */
  onMessage(conn: Connection, bytes: Uint8Array, isBinary: boolean): void;
  onDrain(conn: Connection): void;
  onClose(conn: Connection, code: number, reason: string): void;
}

export interface SocketServerOptions {
  host: string;
  port: number;
  /** Hard transport limit; bigger frames close the connection with 1009. */
  maxPayloadBytes: number;
  /** Above this many buffered bytes `send` reports BACKPRESSURE; far above it, DROPPED. */
  maxBackpressureBytes: number;
  /** Seconds without any traffic (pings included) before the transport drops the socket. */
  idleTimeoutSec: number;
  /** Serve wss:// with this certificate (reloadable); plain ws:// without. */
  tls?: TlsSource | undefined;
  /** Connection caps, checked at the upgrade (refused with HTTP 503/429, docs/limits.md). */
  caps?: ConnectionCaps;
  /**
   * ws fallback only (uWebSockets.js has a fixed ~10 s bound of its own): the upgrade
   * request's headers must arrive within this.
   */
  headersTimeoutMs?: number;
  /** ws fallback only: an upgrade request timed out (a slowloris). */
  onRequestTimeout?: () => void;
}

export interface SocketServer {
  /** Which transport: a WebSocket library, or the cluster's relay from edge hubs. */
  readonly kind: 'uws' | 'ws' | 'relay';
  /** Resolves with the bound port (useful with port 0). */
  listen(): Promise<number>;
  /** Stop accepting new connections; existing ones stay open. */
  stopListening(): void;
  /** Close every connection and the listener. */
  close(): Promise<void>;
}
