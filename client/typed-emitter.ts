import { EventEmitter } from 'node:events';

/** EventEmitter whose event names and payloads are checked by the compiler. */
export class TypedEmitter<Events extends Record<string, unknown>> {
  private readonly ee = new EventEmitter();

  on<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): this {
    this.ee.on(event, listener);
    return this;
  }

  once<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): this {
    this.ee.once(event, listener);
    return this;
  }

  off<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): this {
    this.ee.off(event, listener);
    return this;
  }

  protected emit<K extends keyof Events & string>(event: K, payload: Events[K]): void {
    // 'error' without a listener would throw in EventEmitter; SDK errors are reported, not thrown.
    if (event === 'error' && this.ee.listenerCount('error') === 0) return;
    this.ee.emit(event, payload);
  }
}
