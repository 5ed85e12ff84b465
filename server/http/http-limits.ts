import type { Server } from 'node:http';
import type { Hub } from '../hub/hub.js';
import { LimitName } from '../hub/limit-names.js';
import { ConnectionCaps } from '../transport/connection-caps.js';
import { answerClientErrors, capConnections } from '../transport/node-http-limits.js';

/**
 * The side port's connection caps and slow-client answers (docs/limits.md). The timeouts
 * themselves are `createServer` options (`slowClientOptions`): node reads
 * `connectionsCheckingInterval` only there.
 */
export function applyHttpLimits(server: Server, hub: Hub): void {
  const limits = hub.limits.http;
  const caps = new ConnectionCaps(
    limits.maxConnections,
    limits.maxConnectionsPerAddress,
    'HTTP connections',
    (reason) =>
      hub.metrics.limitHit(
        reason === 'global' ? LimitName.httpConnections : LimitName.httpConnectionsPerAddress,
      ),
  );
  capConnections(server, caps, limits.maxConnections);
  answerClientErrors(server, () => hub.metrics.limitHit(LimitName.httpRequestTimeout));
}
