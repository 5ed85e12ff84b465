import type { Command, CommandResult, Core } from '../core/index.js';

/** A hub's lifecycle: created → recovering → ready → draining → stopped, never back. */
export const HubPhase = {
  created: 'created',
  recovering: 'recovering',
  ready: 'ready',
  draining: 'draining',
  stopped: 'stopped',
} as const;
export type HubPhaseName = (typeof HubPhase)[keyof typeof HubPhase];

/**
 * What the gateway needs from the engine behind it: apply a command and learn when it is
 * durable, read state, and the few session-side effects an operation has. The embedded hub
 * implements it today; the Redis engine will too.
 */
export interface Engine {
  readonly phase: HubPhaseName;
  readonly ids: { next(): string };
  /** Read-only use: the gateway reads state through it, changes go through `execute`. */
  readonly core: Pick<
    Core,
    | 'tasks'
    | 'workers'
    | 'queues'
    | 'nodes'
    | 'revocations'
    | 'bus'
    | 'federations'
    | 'federationKeys'
    | 'workspaces'
    | 'schedules'
    | 'flows'
    | 'attempts'
  >;
  now(): number;
  execute(cmd: Command): { result: CommandResult; seq: number };
  whenDurable(seq: number, cb: (err?: Error) => void): void;
  rollbackSubmit(taskIds: string[], err: Error): void;
  watch(sessionId: string, taskId: string, progress: boolean): void;
  drainWorker(workerId: string): void;
  kickWorker(workerId: string): boolean;
  /** Deliver a direct message to a connected client (a worker id or a session id). */
  sendDirect(to: string, from: string, data: unknown): boolean;
  /**
   * A request from `session` waits for one reply: the opaque address responders reply to;
   * undefined when the session already has MAX_WAITING_REQUESTS waiting.
   */
  openRequest(session: string, reqId: number, timeoutMs: number): string | undefined;
  closeRequest(replyTo: string): void;
  /** Route a reply to its requester; false when nobody waits for it any more. */
  reply(replyTo: string, data: unknown, error?: { code: string; message: string }): boolean;
}
