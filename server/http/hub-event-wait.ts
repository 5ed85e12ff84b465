import type { ServerResponse } from 'node:http';
import type { HubEvent } from '../core/index.js';
import type { Hub } from '../hub/hub.js';

/**
 * Hold a long-poll until `check` has an answer, the hub emits an event `wakes` says may
 * change it, `waitMs` has passed, or the client went away. `check` runs at once, after
 * each waking event (coalesced to one run per event-loop turn: a burst of submits is one
 * re-check), and every `recheckMs` as a safety net for changes no event announces (a
 * delayed task's run time arriving). Resolves with the answer, or undefined on timeout.
 */
export async function waitForHub<T>(
  hub: Hub,
  res: ServerResponse,
  waitMs: number,
  check: () => Promise<T | undefined> | T | undefined,
  wakes: (event: HubEvent) => boolean,
  recheckMs = 1000,
): Promise<T | undefined> {
  const first = await check();
  if (first !== undefined || waitMs <= 0) return first;
  return new Promise<T | undefined>((resolve, reject) => {
    let done = false;
    let queued = false;
    let running = false;
    const finish = (value: T | undefined, err?: Error): void => {
      if (done) return;
      done = true;
      stop();
      clearTimeout(deadline);
      clearInterval(safety);
      res.off('close', gone);
      if (err) reject(err);
      else resolve(value);
    };
    const run = (): void => {
      queued = false;
      if (done || running) return;
      running = true;
      Promise.resolve()
        .then(check)
        .then(
          (v) => {
            running = false;
            if (v !== undefined) finish(v);
          },
          (err: Error) => finish(undefined, err),
        );
    };
    const wake = (): void => {
      if (queued || done) return;
      queued = true;
      setImmediate(run);
    };
    const stop = hub.onEvent((e) => {
      if (wakes(e)) wake();
    });
    const deadline = setTimeout(() => finish(undefined), waitMs);
    const safety = setInterval(wake, recheckMs);
    // The client gave up (closed its connection): stop waiting, lease nothing more for it.
    // The response's 'close', not the request's: that one fires once the body was read.
    const gone = (): void => finish(undefined);
    res.once('close', gone);
  });
}
