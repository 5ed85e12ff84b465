import { FrameType, type FlowChild, type PriorityName, type TaskFrame } from '../protocol/index.js';
import type { Connection } from './connection.js';

/**
 * The task a handler receives, one per attempt. A class rather than an object literal: an
 * attempt costs one object, not one plus four closures (signal, progress, childrenValues),
 * which at tens of thousands of tasks a second was a visible share of the worker's CPU and
 * its garbage. The abort signal is made only when asked for (Node's AbortController is
 * costly and most handlers never look at it); `progress` and `childrenValues` stay callable
 * when taken off the task (`const { progress } = task`), as they were. It is the `Task` of
 * worker.ts by shape (checked where the handler is called; importing it here would be a cycle).
 */
export class WorkerTask<Payload = unknown> {
  id: string;
  queue: string;
  payload: Payload;
  attempt: number;
  maxAttempts: number;
  priority: PriorityName;
  children: readonly FlowChild[];
  readonly #conn: Connection;
  #controller: AbortController | undefined;
  #early: { reason: unknown } | undefined;
  #progress: ((value: unknown) => void) | undefined;
  #childrenValues: (<R = unknown>() => Record<string, R>) | undefined;

  constructor(frame: TaskFrame, conn: Connection) {
    this.id = frame.taskId;
    this.queue = frame.queue;
    this.payload = frame.payload as Payload;
    this.attempt = frame.attempt;
    this.maxAttempts = frame.maxAttempts;
    this.priority = frame.priority;
    this.children = frame.children ?? NO_CHILDREN;
    this.#conn = conn;
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#early) this.#controller.abort(this.#early.reason);
    }
    return this.#controller.signal;
  }

  // A handler may replace its signal (say with AbortSignal.any([...])), as it could when
  // this was a plain property.
  set signal(value: AbortSignal) {
    Object.defineProperty(this, 'signal', {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }

  get progress(): (value: unknown) => void {
    return (this.#progress ??= (value: unknown) => {
      if (!this.aborted)
        this.#conn.send({ t: FrameType.progress, taskId: this.id, attempt: this.attempt, value });
    });
  }

  get childrenValues(): <R = unknown>() => Record<string, R> {
    return (this.#childrenValues ??= <R>() => {
      const out: Record<string, R> = {};
      for (const c of this.children)
        if (c.state === 'completed') out[c.name ?? c.taskId] = c.result as R;
      return out;
    });
  }

  /** Whether this attempt was told to stop (before or after its signal was asked for). */
  get aborted(): boolean {
    return this.#controller ? this.#controller.signal.aborted : this.#early !== undefined;
  }

  /** Stop this attempt: aborts the signal now, or the one asked for later. */
  abort(reason: unknown): void {
    if (this.#controller) this.#controller.abort(reason);
    else this.#early ??= { reason };
  }
}

const NO_CHILDREN: readonly FlowChild[] = Object.freeze([]);
