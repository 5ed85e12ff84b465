import type { Grant } from '../auth/index.js';

/** Who performs an operation, as every transport describes it to the gateway. */
export interface Caller {
  /** What the caller's token allows (the open grant in the development preset). */
  grant: Grant;
  /** The WebSocket session making the call: its tasks' results and progress go back to it. */
  session?: string;
  /**
   * The worker id this connection was bound to when its `register` was accepted. A bound
   * connection acts as that worker without further checks; any other caller naming a worker
   * (the HTTP paths) must own it.
   */
  boundWorker?: string;
}
