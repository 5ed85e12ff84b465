import type { Logger } from 'pino';
import type { CoreOptions } from '../core/index.js';
import type { TransportChoice } from '../transport/create-socket-server.js';
import type { SocketHandlers, SocketServer } from '../transport/socket-server.js';
import type { TlsSource } from '../transport/tls-options.js';
import type { LimitsConfig } from '../config/schema.js';
import type { FederationConfig } from '../config/federation-schema.js';
import type { WorkspacesConfig } from '../config/workspaces-schema.js';
import type { HubStore } from './hub-store.js';

/** How a hub is made: its port, transport, store, limits and the rest of its configuration. */
export interface HubOptions {
  host: string;
  wsPort: number;
  maxFrameBytes: number;
  maxBackpressureBytes: number;
  handshakeTimeoutMs: number;
  heartbeatIntervalMs: number;
  transport: TransportChoice;
  /** server.tls: serve wss:// (reloadable on SIGHUP). */
  tls?: TlsSource | undefined;
  auth: { enabled: boolean; secret?: string };
  core: Partial<CoreOptions>;
  store: HubStore;
  logger: Logger;
  version: string;
  /** The data dir, where the CLI records the tokens it mints (GET /api/v1/tokens reads it). */
  dataDir?: string;
  /** Collect default process metrics (off in tests that run many hubs in one process). */
  processMetrics?: boolean;
  /**
   * The hub's state and its log can no longer be trusted to agree (a record could not be
   * appended after the core applied its command). The process should stop; recovery from
   * the log restores a consistent state. Default: log at fatal and refuse new work.
   */
  onFatal?: (err: Error) => void;
  /**
   * After activity, once the hub has been quiet this long, ask V8 for one full collection
   * so the memory a burst took goes back to the OS. 0 = never.
   */
  idleMemoryReleaseMs?: number;
  /** Limits against hostile clients (docs/limits.md); the schema's defaults when absent. */
  limits?: LimitsConfig;
  /** Federated summaries: caps, rates, CORS (docs/federation.md); the schema's defaults when absent. */
  federation?: FederationConfig;
  /** Workspaces: SSH port range and timeouts (docs/workspaces.md); defaults when absent. */
  workspaces?: WorkspacesConfig;
  /**
   * More ways in beside the WebSocket port, fed the same handlers: the cluster's relay of
   * clients connected to edge hubs. Opened after the port, closed with it.
   */
  transports?: ((handlers: SocketHandlers) => SocketServer)[];
  /** In a cluster: this hub's name and role, shown by /health. */
  cluster?: { hubId: string; role: 'leader' };
}
