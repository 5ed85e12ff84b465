import type * as Uws from 'uWebSockets.js';
import type { TlsMaterial } from './tls-options.js';

type UwsModule = typeof Uws;

/**
 * App, or SSLApp when TLS is on. uWS reads the PEM files itself, by name; tls-options.ts
 * has already checked them, so a failure here is a file that changed in between.
 */
export function createUwsApp(uws: UwsModule, tls: TlsMaterial | undefined): Uws.TemplatedApp {
  if (!tls) return uws.App();
  try {
    return uws.SSLApp({
      cert_file_name: tls.files.certFile,
      key_file_name: tls.files.keyFile,
      // Never set ca_file_name: create-socket-server.ts sends server.tls.caFile to the ws
      // transport, because uWS lets a client without a certificate in.
    });
  } catch (err) {
    throw new Error(
      `uWebSockets.js could not load server.tls.certFile ${tls.files.certFile} / server.tls.keyFile ${tls.files.keyFile} (${(err as Error).message})`,
    );
  }
}

/**
 * Bind `next` to the port `current` listens on, then close `current`. Both listen for a
 * moment (SO_REUSEPORT), so no connection attempt is refused in between. If the new bind
 * fails, `current` keeps listening (with the old certificate) and this throws.
 */
export function relistenWithNewCertificate(
  uws: UwsModule,
  next: Uws.TemplatedApp,
  current: Uws.us_listen_socket,
  host: string,
  port: number,
): Uws.us_listen_socket {
  let socket: Uws.us_listen_socket | false = false;
  // uWS calls the listen callback synchronously.
  next.listen(host, port, (s) => {
    socket = s;
  });
  if (!socket) {
    throw new Error(
      `the WebSocket port ${host}:${port} could not be taken over by the new certificate; it keeps serving the old one`,
    );
  }
  uws.us_listen_socket_close(current);
  return socket;
}
