import { encodeBatch, type RelayOpEntry } from './relay-wire.js';

/** What a relay needs from a Redis connection: publish bytes to a channel. */
export interface Publisher {
  publish(channel: string, message: Buffer): Promise<unknown>;
}

/**
 * One direction of a relay (this hub → one other hub): ops pile up during a turn of the event
 * loop and leave as one PUBLISH, the way the WAL's group commit batches fsyncs. A PUBLISH that
 * fails (Redis unreachable) loses its batch; the receiver sees the gap in `seq`.
 */
export class RelayOutbox {
  private seq = 0;
  private ops: RelayOpEntry[] = [];
  private scheduled = false;

  constructor(
    private readonly pub: Publisher,
    private readonly channel: string,
    private readonly from: string,
    private readonly onPublishError: (err: Error) => void,
  ) {}

  push(op: RelayOpEntry): void {
    this.ops.push(op);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  flush(): void {
    this.scheduled = false;
    if (this.ops.length === 0) return;
    const ops = this.ops;
    this.ops = [];
    const bytes = encodeBatch({ from: this.from, seq: ++this.seq, ops });
    this.pub
      .publish(this.channel, bytes)
      .catch((err: unknown) => this.onPublishError(err as Error));
  }
}

/**
 * The receiving side's count per sender: true when `seq` follows the last one seen (a first
 * batch must be 1). Anything else means batches were lost, and whatever they carried for the
 * sender's connections cannot be trusted to have happened.
 */
export class RelayInbox {
  private readonly last = new Map<string, number>();

  accept(from: string, seq: number): boolean {
    const prev = this.last.get(from) ?? 0;
    this.last.set(from, seq);
    return seq === prev + 1;
  }

  forget(from: string): void {
    this.last.delete(from);
  }
}
