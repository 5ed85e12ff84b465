import { useEffect, useRef, useState } from 'preact/hooks';
import { events } from './event-stream.js';

/**
 * A bounded summary (its size does not grow with the number of tasks), loaded once, again
 * when an event of one of `on` (type prefixes) arrives (at most once per `minMs`), and every
 * `ms` as a fallback for tokens that may not read the event stream.
 */
export function usePoll<T>(
  load: () => Promise<T>,
  opts: { ms?: number; on?: string[]; minMs?: number } = {},
  deps: unknown[] = [],
): [T | undefined, string | undefined, () => void] {
  const { ms = 5000, on = [], minMs = 500 } = opts;
  const [data, setData] = useState<T>();
  const [err, setErr] = useState<string>();
  const [n, setN] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let live = true;
    let pending: ReturnType<typeof setTimeout> | undefined;
    let last = 0;
    const tick = () => {
      last = Date.now();
      pending = undefined;
      loadRef.current().then(
        (d) => live && (setData(d), setErr(undefined)),
        (e: Error) => live && setErr(e.message),
      );
    };
    tick();
    const t = setInterval(tick, ms);
    const off = on.length
      ? events.subscribe((e) => {
          if (pending || !on.some((p) => e.type.startsWith(p))) return;
          pending = setTimeout(tick, Math.max(0, minMs - (Date.now() - last)));
        })
      : () => {};
    return () => {
      live = false;
      clearInterval(t);
      clearTimeout(pending);
      off();
    };
  }, [n, ...deps]);
  return [data, err, () => setN((x) => x + 1)];
}
