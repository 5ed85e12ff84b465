import {
  encodeFrame,
  encodeFrameCopy,
  ErrorCode,
  FrameType,
  type HubFrame,
} from '../../protocol/index.js';
import type { Grant } from '../auth/index.js';
import type { Caller } from '../gateway/caller.js';
import { SendStatus, type Connection } from '../transport/socket-server.js';
import type { RateLimiter } from './rate-limiter.js';

export const SessionState = {
  handshake: 'handshake',
  authenticating: 'authenticating',
  open: 'open',
  closed: 'closed',
} as const;
export type SessionStateName = (typeof SessionState)[keyof typeof SessionState];

/**
 * One WebSocket connection's protocol state: handshake, the grant its token carries, the
 * worker it registered as, the tasks it watches, and frames waiting for the socket to drain.
 */
const EMPTY: ReadonlySet<string> = new Set();

export class Session {
  state: SessionStateName = SessionState.handshake;
  grant: Grant | undefined;
  workerId: string | undefined;
  /** Request id of the register frame, echoed in `registered`. */
  registerId = 0;
  /** Tasks this session watches (allocated on first use: most sessions never watch). */
  private watched: Set<string> | undefined;
  private watchedProgress: Set<string> | undefined;
  /** Frames waiting for the end of this event-loop turn, sent together in one corked write. */
  private outbox: HubFrame[] = [];
  /** Frames the socket refused (DROPPED); sent, in order, on drain. Owned copies. */
  private backlog: Uint8Array[] = [];
  private backlogBytes = 0;
  protocolErrors = 0;
  handshakeTimer: NodeJS.Timeout | undefined;
  /** Frame and byte rate of this connection; undefined when both limits are off. */
  rateLimiter: RateLimiter | undefined;

  constructor(
    readonly conn: Connection,
    private readonly maxBacklogBytes: number,
    private readonly onOverflow: (session: Session) => void,
    /** Called when the outbox goes from empty to non-empty: the hub flushes it soon. */
    private readonly scheduleFlush: (session: Session) => void,
    private readonly onEncodeError: (session: Session, frame: HubFrame, err: Error) => void,
  ) {}

  get id(): string {
    return this.conn.id;
  }

  /**
   * Queue a frame. Frames are written at the end of the event-loop turn, all of a
   * session's frames in one corked write: one syscall instead of one per frame.
   */
  send(frame: HubFrame): void {
    if (this.conn.closed) return;
    if (this.outbox.length === 0) this.scheduleFlush(this);
    this.outbox.push(frame);
  }

  /**
   * Write the outbox. A frame the transport refuses is kept and re-sent on drain, never
   * dropped: an assignment that did not reach the socket must still reach the worker.
   */
  flushOutbox(): number {
    const frames = this.outbox;
    if (frames.length === 0) return 0;
    this.outbox = [];
    if (this.conn.closed) return 0;
    this.conn.cork(() => {
      for (let i = 0; i < frames.length; i++) {
        const frame = frames[i]!;
        const queued = this.backlog.length > 0;
        let bytes: Uint8Array;
        try {
          // MUST: encodeFrame returns the shared encoder buffer; send() copies it (uWS into
          // its cork buffer, ws into its frame) before we encode the next frame.
          bytes = queued ? encodeFrameCopy(frame) : encodeFrame(frame);
        } catch (err) {
          // Input is checked at the edge so this should not happen; if it does, it is this
          // session's problem only: the peer learns which frame it missed.
          this.onEncodeError(this, frame, err as Error);
          bytes = encodeFrameCopy(unencodable(frame, err as Error));
        }
        if (queued) {
          this.keep(bytes); // an owned copy
          continue;
        }
        if (this.conn.send(bytes) === SendStatus.DROPPED) {
          this.keep(Uint8Array.prototype.slice.call(bytes));
        }
      }
    });
    return frames.length;
  }

  /** Bytes written but not yet on the wire: refused frames kept here plus the socket's buffer. */
  pendingBytes(): number {
    return this.backlogBytes + this.conn.bufferedAmount();
  }

  sendError(code: string, message: string, id?: number, taskId?: string): void {
    const frame: HubFrame = { t: FrameType.error, code, message };
    if (id !== undefined) frame.id = id;
    if (taskId !== undefined) frame.taskId = taskId;
    this.send(frame);
  }

  /** Write what is queued, then close: an error frame sent just before a close still arrives. */
  close(code: number, reason: string): void {
    this.flushOutbox();
    this.conn.close(code, reason);
  }

  /** Socket drained: resend what it refused before. */
  drainBacklog(): void {
    while (this.backlog.length > 0 && !this.conn.closed) {
      const bytes = this.backlog[0]!;
      const status = this.conn.send(bytes);
      if (status === SendStatus.DROPPED) return;
      this.backlog.shift();
      this.backlogBytes -= bytes.byteLength;
      if (status === SendStatus.BACKPRESSURE) return;
    }
  }

  private keep(bytes: Uint8Array): void {
    this.backlog.push(bytes);
    this.backlogBytes += bytes.byteLength;
    if (this.backlogBytes > this.maxBacklogBytes) this.onOverflow(this);
  }

  get watching(): ReadonlySet<string> {
    return this.watched ?? EMPTY;
  }

  watch(taskId: string, progress: boolean): void {
    (this.watched ??= new Set()).add(taskId);
    if (progress) (this.watchedProgress ??= new Set()).add(taskId);
  }

  wantsProgress(taskId: string): boolean {
    return this.watchedProgress?.has(taskId) ?? false;
  }

  unwatch(taskId: string): void {
    this.watched?.delete(taskId);
    this.watchedProgress?.delete(taskId);
  }

  /** How this connection appears to the gateway; rebuilt only when the grant or binding changes. */
  get caller(): Caller {
    const c = this.cachedCaller;
    if (c !== undefined && c.grant === this.grant && c.boundWorker === this.workerId) return c;
    const next: Caller = { grant: this.grant!, session: this.id };
    if (this.workerId !== undefined) next.boundWorker = this.workerId;
    this.cachedCaller = next;
    return next;
  }

  private cachedCaller: Caller | undefined;

  get isWorker(): boolean {
    return this.workerId !== undefined;
  }
}

/** What a peer gets instead of a frame that could not be encoded. */
function unencodable(frame: HubFrame, err: Error): HubFrame {
  const out: HubFrame = {
    t: FrameType.error,
    code: ErrorCode.INTERNAL,
    message: `the hub could not encode a ${frame.t} frame for this connection: ${err.message}`,
  };
  if ('taskId' in frame && typeof frame.taskId === 'string') out.taskId = frame.taskId;
  return out;
}

export { ErrorCode };
