import { createConnection } from 'node:net';

/** One try: connect and read the server's first line; resolves if it is an SSH banner. */
function tryOnce(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    let got = '';
    const done = (err?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(
      () => done(new Error(`no SSH banner within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      got += chunk;
      if (got.startsWith('SSH-')) done();
      else if (got.length >= 4 || got.includes('\n'))
        done(new Error(`not an SSH server (it said ${JSON.stringify(got.slice(0, 40))})`));
    });
    socket.on('error', (err) => done(err));
    socket.on('end', () => done(new Error('closed before its banner')));
  });
}

/**
 * Wait until an SSH server answers at host:port: what "the workspace's SSH is up" means to
 * a user (a port that accepts connections but is not sshd does not count). Retries every
 * 200 ms until `timeoutMs`, or until `cancelled()`.
 */
export async function waitForSshBanner(
  host: string,
  port: number,
  timeoutMs: number,
  cancelled: () => boolean = () => false,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'not tried';
  while (!cancelled()) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    try {
      await tryOnce(host, port, Math.min(left, 5000));
      return;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, Math.min(200, Math.max(0, deadline - Date.now()))));
  }
  throw new Error(
    cancelled()
      ? 'cancelled'
      : `SSH on ${host}:${port} did not answer within ${timeoutMs} ms (last: ${last})`,
  );
}
