import net from 'node:net';
import { limitsSchema, type LimitsConfig } from '../../server/config/schema.js';

/** The schema's limits with some changed (the shape `HubOptions.limits` takes). */
export function limitsWith(
  top: Partial<Omit<LimitsConfig, 'http'>>,
  http: Partial<LimitsConfig['http']> = {},
): LimitsConfig {
  const base = limitsSchema.parse({});
  return { ...base, ...top, http: { ...base.http, ...http } };
}

export const UPGRADE_REQUEST =
  'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

export interface RawOutcome {
  /** Everything the server sent, as latin1 text. */
  text: string;
  /** ms from connect to the socket closing. */
  closedAfterMs: number;
  /** The server reset the connection rather than closing it. */
  reset: boolean;
}

/** Open a TCP socket, hand it to `drive`, resolve with what came back once it closes. */
export function rawExchange(
  port: number,
  drive: (sock: net.Socket) => void,
  timeoutMs = 60_000,
): Promise<RawOutcome> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let text = '';
    let reset = false;
    let t0 = 0;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`socket still open after ${timeoutMs} ms; got ${JSON.stringify(text)}`));
    }, timeoutMs);
    sock.on('connect', () => {
      t0 = Date.now();
      drive(sock);
    });
    sock.on('data', (d: Buffer) => (text += d.toString('latin1')));
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') reset = true;
      else reject(err);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closedAfterMs: Date.now() - t0, reset });
    });
  });
}

/** Send `bytes` one byte per `intervalMs` until the socket closes or they run out. */
export function dribble(sock: net.Socket, bytes: string, intervalMs = 1000): void {
  let i = 0;
  const timer = setInterval(() => {
    if (i >= bytes.length || sock.destroyed) {
      clearInterval(timer);
      return;
    }
    sock.write(bytes[i++]!);
  }, intervalMs);
  sock.once('close', () => clearInterval(timer));
}

/** A counter's value in Prometheus text. */
export function metricValue(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : NaN;
}
