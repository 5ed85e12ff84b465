/**
 * A task's abort signal, made when first asked for. Most handlers never look at
 * `task.signal`, and Node's AbortController is costly to make: at 35,000 tasks/s through the
 * SDK, making one per task took 9% of the worker process's CPU and a good part of its GC.
 * An abort before anyone asked is remembered, so a signal asked for later is already aborted
 * with the same reason.
 */
export class LazyAbort {
  private controller: AbortController | undefined;
  private early: { reason: unknown } | undefined;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.early) this.controller.abort(this.early.reason);
    }
    return this.controller.signal;
  }

  get aborted(): boolean {
    return this.controller ? this.controller.signal.aborted : this.early !== undefined;
  }

  abort(reason: unknown): void {
    if (this.controller) this.controller.abort(reason);
    else this.early ??= { reason };
  }
}
