import {
  createServer,
  request,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

/** What the proxy does with a WebSocket upgrade. */
export type UpgradeMode =
  /** Answer 426 Upgrade Required, as a proxy that speaks only HTTP/1.1 requests does. */
  | 'refuse'
  /** Close the connection without an answer. */
  | 'close'
  /** Pass it to the hub's WebSocket port. */
  | 'pass';

export interface UpgradeProxy {
  /** ws://… and http://… of the proxy: one origin, as a reverse proxy in front of a hub. */
  wsUrl: string;
  httpUrl: string;
  mode: UpgradeMode;
  /** Upgrades seen, and HTTP requests forwarded. */
  upgrades: number;
  requests: number;
  close(): Promise<void>;
}

/**
 * A small reverse proxy in front of a hub: HTTP requests go to the hub's side port, and
 * WebSocket upgrades are refused, dropped or passed to its WebSocket port (`mode`, which
 * may change while it runs). A proxy that refuses upgrades is what the SDK's HTTP fallback
 * is for.
 */
export async function startUpgradeProxy(
  hub: { wsUrl: string; httpUrl: string },
  mode: UpgradeMode = 'refuse',
  /** Answers some requests itself (a page and its script, same origin as the hub's API). */
  serve?: (req: IncomingMessage, res: ServerResponse) => boolean,
): Promise<UpgradeProxy> {
  const http = new URL(hub.httpUrl);
  const ws = new URL(hub.wsUrl);
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    if (serve?.(req, res)) return;
    proxy.requests++;
    const upstream = request(
      {
        host: http.hostname,
        port: http.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        // Long-polls and streams: every chunk goes on at once.
        res.flushHeaders();
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    // The client went away: so does the upstream request (the hub stops its long-poll).
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    proxy.upgrades++;
    if (proxy.mode === 'refuse') {
      socket.end('HTTP/1.1 426 Upgrade Required\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    if (proxy.mode === 'close') {
      socket.destroy();
      return;
    }
    const up = connect(Number(ws.port), ws.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    sockets.add(up);
    up.on('close', () => sockets.delete(up));
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const proxy: UpgradeProxy = {
    wsUrl: `ws://127.0.0.1:${port}`,
    httpUrl: `http://127.0.0.1:${port}`,
    mode,
    upgrades: 0,
    requests: 0,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
