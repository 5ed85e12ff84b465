import { useEffect, useState } from 'preact/hooks';
import { events, type Liveness } from '../event-stream.js';

const TEXT: Record<Liveness, string> = {
  off: 'not live',
  connecting: 'connecting…',
  live: 'live',
  stale: 'stale, reconnecting',
};

/** Whether what the page shows is current: the event stream's state, in words and colour. */
export function LiveBadge() {
  const [s, setS] = useState<Liveness>(events.state);
  useEffect(() => events.onState(setS), []);
  return (
    <span class={`live live-${s}`} data-live={s} role="status" aria-live="polite">
      {TEXT[s]}
    </span>
  );
}
