/**
 * Opens N WebSocket connections at once with raw TCP sockets (no client library, so
 * 10,000 of them fit in one small process), never says hello, and reports how each ended.
 * Run as a child: `flood-client.ts PORT COUNT TIMEOUT_MS`; prints one JSON line.
 */
import net from 'node:net';
import { UPGRADE_REQUEST } from './net-helpers.js';

const [portArg, countArg, timeoutArg] = process.argv.slice(2);
const port = Number(portArg);
const count = Number(countArg);
const timeoutMs = Number(timeoutArg);

const codes: Record<string, number> = {};
const errors: Record<string, number> = {};
let upgraded = 0;
let closed = 0;
let lastUpgradeAt = 0;
let lastCloseAt = 0;
const t0 = Date.now();

function one(): void {
  const sock = net.connect(port, '127.0.0.1');
  let buf = Buffer.alloc(0);
  let isOpen = false;
  let code: number | undefined;
  sock.on('connect', () => sock.write(UPGRADE_REQUEST));
  sock.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    if (!isOpen) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const status = buf.subarray(0, 12).toString('latin1');
      if (!status.startsWith('HTTP/1.1 101')) {
        code = -Number(status.slice(9, 12));
        sock.destroy();
        return;
      }
      isOpen = true;
      upgraded++;
      lastUpgradeAt = Date.now();
      buf = buf.subarray(end + 4);
    }
    // A server frame is unmasked; a close frame is 0x88, short length, 2-byte code first.
    if (buf.length >= 4 && buf[0] === 0x88) {
      code = buf.readUInt16BE(2);
      sock.end();
    }
  });
  sock.on('error', (err: NodeJS.ErrnoException) => {
    errors[err.code ?? 'unknown'] = (errors[err.code ?? 'unknown'] ?? 0) + 1;
  });
  sock.on('close', () => {
    const key = code === undefined ? 'none' : String(code);
    codes[key] = (codes[key] ?? 0) + 1;
    closed++;
    lastCloseAt = Date.now();
    if (closed === count) report();
  });
}

function report(): void {
  process.stdout.write(
    JSON.stringify({
      count,
      upgraded,
      closed,
      codes,
      errors,
      allUpgradedMs: lastUpgradeAt - t0,
      allClosedMs: lastCloseAt - t0,
    }) + '\n',
  );
  process.exit(0);
}

for (let i = 0; i < count; i++) one();
setTimeout(report, timeoutMs).unref();
// Keep the process alive until the report (the sockets do, but not once they are all gone).
setInterval(() => {}, 1000);
