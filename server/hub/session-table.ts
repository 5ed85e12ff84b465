import { CloseCode, FrameType, type ResultFrame } from '../../protocol/index.js';
import type { Session } from './session.js';

/**
 * Every open session, by connection id and by the worker id it is bound to, the tasks
 * producers watch, and the end-of-turn flush of their outboxes. What the hub delivers
 * (tasks, cancels, progress, results) finds its sessions here.
 */
export class SessionTable {
  private readonly byId = new Map<string, Session>();
  private readonly byWorker = new Map<string, Session>();
  private readonly watchers = new Map<string, Set<Session>>();
  private flushList: Session[] = [];

  constructor(
    /** A session's flush threw (a transport error): that session's problem only. */
    private readonly onFlushError: (session: Session, err: Error) => void,
    private readonly countFramesOut: (n: number) => void,
  ) {}

  get size(): number {
    return this.byId.size;
  }

  get(id: string): Session | undefined {
    return this.byId.get(id);
  }

  all(): IterableIterator<Session> {
    return this.byId.values();
  }

  add(session: Session): void {
    this.byId.set(session.id, session);
  }

  /** Forget a closed session; returns the worker id it was still bound to, if any. */
  remove(session: Session): string | undefined {
    if (this.byId.get(session.id) !== session) return undefined;
    this.byId.delete(session.id);
    for (const taskId of session.watching) {
      const set = this.watchers.get(taskId);
      if (set) {
        set.delete(session);
        if (set.size === 0) this.watchers.delete(taskId);
      }
    }
    const workerId = session.workerId;
    if (workerId !== undefined && this.byWorker.get(workerId) === session)
      this.byWorker.delete(workerId);
    return workerId;
  }

  // ------------------------------------------------------------------ workers

  worker(workerId: string): Session | undefined {
    return this.byWorker.get(workerId);
  }

  workers(): IterableIterator<Session> {
    return this.byWorker.values();
  }

  /** Bind `session` to `workerId`; a connection bound to it before is closed (4012). */
  bind(session: Session, workerId: string): void {
    const previous = this.byWorker.get(workerId);
    if (previous && previous !== session) {
      previous.workerId = undefined;
      previous.close(CloseCode.REPLACED, `worker ${workerId} registered on another connection`);
    }
    session.workerId = workerId;
    this.byWorker.set(workerId, session);
  }

  /** The worker is gone from the hub: close its connection with `code`. */
  dropWorker(workerId: string, code: number, reason: string): void {
    const session = this.byWorker.get(workerId);
    if (!session) return;
    session.workerId = undefined;
    this.byWorker.delete(workerId);
    session.close(code, reason);
  }

  // ------------------------------------------------------------------ producers

  /** Send `sessionId` the task's result (and progress, if asked) when it comes. */
  watch(sessionId: string, taskId: string, progress: boolean): void {
    const session = this.byId.get(sessionId);
    if (!session) return;
    let set = this.watchers.get(taskId);
    if (!set) this.watchers.set(taskId, (set = new Set()));
    set.add(session);
    session.watch(taskId, progress);
  }

  deliverProgress(taskId: string, submitter: string | undefined, value: unknown): void {
    const frame = { t: FrameType.progress, taskId, value } as const;
    const owner = submitter === undefined ? undefined : this.byId.get(submitter);
    if (owner) owner.send(frame);
    const set = this.watchers.get(taskId);
    if (set) for (const s of set) if (s !== owner && s.wantsProgress(taskId)) s.send(frame);
  }

  /**
   * The sessions watching a task, taken now: they stop watching it (its result is on its
   * way, through `sendResult`).
   */
  takeWatchers(taskId: string): Set<Session> | undefined {
    const set = this.watchers.get(taskId);
    if (set) this.watchers.delete(taskId);
    return set;
  }

  /** A task's final result to its submitter's session (`owner`) and its former watchers. */
  sendResult(
    frame: ResultFrame,
    owner: Session | undefined,
    watchers: Set<Session> | undefined,
  ): void {
    if (owner) owner.send(frame);
    if (watchers) {
      for (const s of watchers) {
        s.unwatch(frame.taskId);
        if (s !== owner) s.send(frame);
      }
    }
  }

  // ------------------------------------------------------------------ flushing

  /**
   * A session's outbox went from empty to non-empty. setImmediate runs after every socket
   * read of this loop iteration: frames produced by many incoming messages leave in one
   * write per socket.
   */
  readonly scheduleFlush = (session: Session): void => {
    if (this.flushList.length === 0) setImmediate(this.flushAll);
    this.flushList.push(session);
  };

  readonly flushAll = (): void => {
    const list = this.flushList;
    this.flushList = [];
    let frames = 0;
    for (let i = 0; i < list.length; i++) {
      // One session's failure must not leave the others unflushed or, from inside
      // setImmediate, take the process down.
      try {
        frames += list[i]!.flushOutbox();
      } catch (err) {
        this.onFlushError(list[i]!, err as Error);
      }
    }
    if (frames) this.countFramesOut(frames);
  };
}
