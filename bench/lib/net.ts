import { createConnection, createServer } from 'node:net';

/** Try a TCP connect. Resolves undefined when reachable, else the reason (for SKIPPED rows). */
export function probeTcp(
  host: string,
  port: number,
  timeoutMs = 1000,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (reason: string | undefined): void => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(timeoutMs, () =>
      done(`no answer from ${host}:${port} within ${timeoutMs} ms`),
    );
    socket.once('connect', () => done(undefined));
    socket.once('error', (err) => done(`${host}:${port} not reachable (${err.message})`));
  });
}

/** A free TCP port on 127.0.0.1 (bind to port 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
