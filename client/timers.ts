/** Node's timers keep the process alive unless unref'd; other runtimes' timers are numbers. */
export function unref(timer: unknown): void {
  (timer as { unref?: () => void } | undefined)?.unref?.();
}
