import { isCertificateError } from './hub-fetch.js';

/**
 * The WebSocket a Connection holds, whichever runtime it runs in: `ws` in Node (and the
 * runtimes that run Node packages: Bun, Deno), which takes the TLS options (`ca`, `cert`,
 * `key`) and lets frames of one event-loop turn leave in one write; the runtime's own
 * WebSocket elsewhere (browsers), adapted to the part of `ws`'s interface Connection uses.
 * `ws` is loaded on first use, so a browser bundle never contains it.
 */
export interface HubSocket {
  readonly readyState: number;
  on(event: 'open', listener: () => void): unknown;
  on(event: 'message', listener: (data: Uint8Array) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'close', listener: (code: number, reason: { toString(): string }) => void): unknown;
  once(event: 'close', listener: () => void): unknown;
  send(bytes: Uint8Array): void;
  close(code?: number, reason?: string): void;
  /** Drop the connection now, without the closing handshake. */
  terminate(): void;
}

export const SOCKET_OPEN = 1;
export const SOCKET_CLOSED = 3;

export interface SocketOptions {
  /** Give up on a hub that does not accept the upgrade within this long. */
  handshakeTimeout: number;
  maxPayload: number;
  ca?: string | Uint8Array | undefined;
  cert?: string | Uint8Array | undefined;
  key?: string | Uint8Array | undefined;
}

export type SocketFactory = (url: string, options: SocketOptions) => HubSocket;

let factory: SocketFactory | undefined;
let loading: Promise<SocketFactory> | undefined;

/** The factory, when loaded (after the first `loadSocketFactory` resolved). */
export function socketFactory(): SocketFactory | undefined {
  return factory;
}

/** Load the runtime's WebSocket once; later calls share the first. */
export function loadSocketFactory(): Promise<SocketFactory> {
  loading ??= pick().then((f) => (factory = f));
  return loading;
}

/** True where Node's packages run (Node, Bun, Deno), so `ws` can be imported. */
function runsNodePackages(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

async function pick(): Promise<SocketFactory> {
  const web = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (runsNodePackages()) {
    try {
      const { default: WS } = await import('ws');
      return (url, o) => {
        const ws = new WS(url, {
          perMessageDeflate: false,
          maxPayload: o.maxPayload,
          handshakeTimeout: o.handshakeTimeout,
          ...(o.ca !== undefined ? { ca: o.ca as string } : {}),
          ...(o.cert !== undefined ? { cert: o.cert as string } : {}),
          ...(o.key !== undefined ? { key: o.key as string } : {}),
        });
        ws.binaryType = 'nodebuffer';
        return ws;
      };
    } catch (err) {
      // No `ws` installed: the runtime's own WebSocket, if it has one, does the job.
      if (!web) throw err;
    }
  }
  if (!web) throw new Error('this runtime has no WebSocket, and the `ws` package is not there');
  return (url, o) => new WebSocketAdapter(web, url, o.handshakeTimeout);
}

/** The standard WebSocket, as far as the adapter needs it (lib.dom is not in this build). */
interface StandardWebSocket {
  readonly readyState: number;
  binaryType: string;
  send(data: ArrayBufferView | ArrayBuffer): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: never) => void): void;
}
type WebSocketConstructor = new (url: string) => StandardWebSocket;

/** A standard WebSocket behind the part of `ws`'s interface Connection uses. */
class WebSocketAdapter implements HubSocket {
  private readonly socket: StandardWebSocket;
  private readonly timer: ReturnType<typeof setTimeout>;
  /** Set by terminate(): the close is reported at once, whatever the socket does later. */
  private closedCode: number | undefined;
  private readonly closeListeners: ((code: number, reason: { toString(): string }) => void)[] = [];

  constructor(Ctor: WebSocketConstructor, url: string, handshakeTimeout: number) {
    this.socket = new Ctor(url);
    this.socket.binaryType = 'arraybuffer';
    // The standard WebSocket has no handshake timeout: a hub that never answers is dropped.
    this.timer = setTimeout(() => {
      if (this.socket.readyState === 0) this.terminate();
    }, handshakeTimeout);
    this.socket.addEventListener('close', (e: { code: number; reason: string }) => {
      clearTimeout(this.timer);
      this.reportClose(e.code, e.reason);
    });
    this.socket.addEventListener('open', () => clearTimeout(this.timer));
  }

  get readyState(): number {
    return this.closedCode !== undefined ? SOCKET_CLOSED : this.socket.readyState;
  }

  on(event: string, listener: (...args: never[]) => void): this {
    const l = listener as (...args: unknown[]) => void;
    switch (event) {
      case 'open':
        this.socket.addEventListener('open', () => l());
        break;
      case 'message':
        this.socket.addEventListener('message', (e: { data: unknown }) => {
          if (e.data instanceof ArrayBuffer) l(new Uint8Array(e.data));
        });
        break;
      case 'error':
        // Browsers say nothing about why (by design); the close that follows has the code.
        this.socket.addEventListener('error', () => l(new Error('WebSocket error')));
        break;
      case 'close':
        this.closeListeners.push(l);
        break;
    }
    return this;
  }

  once(event: 'close', listener: () => void): this {
    let called = false;
    return this.on(event, () => {
      if (!called) {
        called = true;
        listener();
      }
    });
  }

  send(bytes: Uint8Array): void {
    // A copy: the caller reuses its encoder buffer once send returns.
    this.socket.send(bytes.slice());
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }

  terminate(): void {
    clearTimeout(this.timer);
    try {
      this.socket.close();
    } catch {
      // closing a socket that is still connecting may throw in some runtimes
    }
    this.reportClose(1006, '');
  }

  private reportClose(code: number, reason: string): void {
    if (this.closedCode !== undefined) return;
    this.closedCode = code;
    for (const l of this.closeListeners) l(code, reason);
  }
}

/**
 * The TCP socket under a `ws` WebSocket. `ws` has no public cork(); its `_socket` field has
 * been stable for years. If it ever goes away we simply send uncorked.
 */
export function socketOf(
  ws: HubSocket,
): { cork(): void; uncork(): void; writableCorked: number } | undefined {
  const socket = (
    ws as unknown as { _socket?: { cork(): void; uncork(): void; writableCorked: number } }
  )._socket;
  return socket && typeof socket.cork === 'function' ? socket : undefined;
}

/** A socket error as one line; certificate problems say which option fixes them. */
export function describeSocketError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  const tlsHint = isCertificateError(code)
    ? ' (TLS: pass the CA that signed the hub certificate as `ca`; for mutual TLS also `cert` and `key`)'
    : '';
  return `${err.message}${code && !err.message.includes(code) ? ` [${code}]` : ''}${tlsHint}`;
}
