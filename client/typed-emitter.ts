type Listener = (payload: never) => void;

/**
 * An event emitter whose event names and payloads are checked by the compiler. Its own,
 * a few lines, rather than node:events: the SDK runs in browsers, Deno and Bun as well.
 * Listeners run in the order added, synchronously, as with EventEmitter; one that throws
 * stops the emit and the error reaches the emitter's caller.
 */
export class TypedEmitter<Events extends Record<string, unknown>> {
  private readonly listeners = new Map<string, Listener[]>();

  on<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): this {
    // Copy on write: an emit in progress calls the listeners it started with, not this one.
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener as Listener]);
    return this;
  }

  once<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): this {
    const wrapper = Object.assign(
      (payload: Events[K]) => {
        this.off(event, listener);
        listener(payload);
      },
      { original: listener },
    );
    return this.on(event, wrapper);
  }

  off<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): this {
    const list = this.listeners.get(event);
    if (!list) return this;
    // The last one added goes first, as EventEmitter removes it; a once() wrapper matches
    // the listener it wraps.
    for (let i = list.length - 1; i >= 0; i--) {
      const l = list[i] as Listener & { original?: unknown };
      if (l === listener || l.original === listener) {
        const next = list.slice(0, i).concat(list.slice(i + 1));
        if (next.length) this.listeners.set(event, next);
        else this.listeners.delete(event);
        break;
      }
    }
    return this;
  }

  /** Listeners of `event` now. */
  listenerCount<K extends keyof Events & string>(event: K): number {
    return this.listeners.get(event)?.length ?? 0;
  }

  protected emit<K extends keyof Events & string>(event: K, payload: Events[K]): void {
    // SDK errors are reported to whoever listens, never thrown at nobody.
    const list = this.listeners.get(event);
    if (!list) return;
    if (list.length === 1) {
      (list[0] as (p: Events[K]) => void)(payload);
      return;
    }
    for (const l of list) (l as (p: Events[K]) => void)(payload);
  }
}
