/**
 * A port that is free now. Tests that restart a hub on the same port need a fixed port:
 * uWebSockets.js sets SO_REUSEADDR only for non-zero ports, so a port picked by the
 * kernel (port 0) stays blocked by TIME_WAIT connections after the hub stops.
 */
export { freePort } from '../../bench/lib/net.js';
