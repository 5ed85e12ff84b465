import type { SocketHandlers, SocketServer, SocketServerOptions } from './socket-server.js';
import { loadNativeUws, UwsSocketServer } from './uws-server.js';
import { WsSocketServer } from './ws-server.js';

export type TransportChoice = 'auto' | 'uws' | 'ws';

/**
 * uWebSockets.js when its native build loads on this Node ABI, else the `ws` server.
 * `uws` insists (and fails loudly); `ws` always takes the fallback.
 */
export function createSocketServer(
  choice: TransportChoice,
  options: SocketServerOptions,
  handlers: SocketHandlers,
  warn: (msg: string) => void,
): SocketServer {
  if (choice === 'ws') return new WsSocketServer(options, handlers);
  if (options.tls?.requiresClientCert) {
    // uWebSockets.js asks for a client certificate and refuses one from another CA, but
    // lets in a client that sends none, and cannot tell us which happened: that is not
    // mutual TLS. Only the ws transport can enforce server.tls.caFile.
    const why =
      'server.tls.caFile (client certificates) needs the ws transport: uWebSockets.js cannot refuse a client that presents no certificate';
    if (choice === 'uws') throw new Error(`${why}; set server.transport to ws or auto`);
    warn(`${why}; using the ws transport`);
    return new WsSocketServer(options, handlers);
  }
  const { mod, reason } = loadNativeUws();
  if (mod) return new UwsSocketServer(mod, options, handlers);
  if (choice === 'uws') throw new Error(`transport "uws" requested but ${reason}`);
  warn(`uWebSockets.js native build unavailable (${reason}); using the slower ws transport`);
  return new WsSocketServer(options, handlers);
}
