/**
 * Prints the OpenAPI 3.1 document of this checkout's hub, the same one a running hub serves
 * at GET /api/v1/openapi.json, without starting a hub: `npm run openapi > openapi.json`, then
 * `npx validate-api openapi.json` checks it with @seriousme/openapi-schema-validator.
 */
import pino from 'pino';
import { Hub } from '../server/hub/hub.js';
import { VolatileStore } from '../server/hub/hub-store.js';
import { openApiDocument } from '../server/http/openapi.js';
import { allRoutes } from '../server/http/routes/index.js';
import { VERSION } from '../server/runtime/version.js';

// Never started: only its route table is read.
const hub = new Hub({
  host: '127.0.0.1',
  wsPort: 0,
  maxFrameBytes: 1 << 20,
  maxBackpressureBytes: 1 << 20,
  handshakeTimeoutMs: 1000,
  heartbeatIntervalMs: 1000,
  transport: 'ws',
  auth: { enabled: true, secret: 'print-openapi-never-verifies-a-token' },
  core: {},
  store: new VolatileStore(),
  logger: pino({ level: 'silent' }),
  version: VERSION,
  processMetrics: false,
});
process.stdout.write(`${JSON.stringify(openApiDocument(allRoutes(hub), VERSION), null, 2)}\n`);
