import type { Command, CommandResult, Core } from '../core/index.js';
import type { EventLog, StreamEvent } from './event-log.js';

/** What the `$sys` publisher needs of the hub. */
export interface SystemEventsHost {
  readonly core: Pick<Core, 'bus'>;
  readonly events: EventLog;
  execute(cmd: Command): { result: CommandResult; seq: number };
}

/**
 * The event stream's events, as at-most-once messages on `$sys.<type>` (the same events
 * and fields as SSE), for admin subscribers. Collected while some subscription wants them
 * and published after the command that caused them.
 */
export class SystemEvents {
  /** Stream events waiting to go out on `$sys` topics; undefined while nobody subscribes. */
  pending: StreamEvent[] | undefined;
  private stop: (() => void) | undefined;

  constructor(private readonly hub: SystemEventsHost) {}

  /** After a command, when some consumer wants `$sys` or events were being collected. */
  publish(): void {
    if (this.hub.core.bus.systemConsumers === 0) {
      this.stop?.();
      this.stop = this.pending = undefined;
      return;
    }
    if (!this.pending) {
      const queue: StreamEvent[] = (this.pending = []);
      this.stop = this.hub.events.subscribe((e) => queue.push(e));
      return;
    }
    const queued = this.pending;
    if (queued.length === 0) return;
    const batch = queued.splice(0);
    for (const e of batch)
      this.hub.execute({
        type: 'bus.emit',
        now: e.at,
        id: String(e.id),
        topic: `$sys.${e.type}`,
        data: e,
        priority: 2,
        from: 'hub',
      });
  }
}
