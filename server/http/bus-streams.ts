import type { Grant } from '../auth/index.js';
import type { Hub } from '../hub/hub.js';
import { BusStream, type BusStreamSpec, type BusStreamTiming } from './bus-stream.js';

/**
 * The SSE subscribers of one hub (server/http/bus-stream.ts), by what a reconnect must match
 * to resume one: the same token holder and scope, the same subscription, and a
 * `Last-Event-ID` the stream sent (or last had confirmed).
 */
export class BusStreams {
  private readonly byKey = new Map<string, Set<BusStream>>();

  constructor(
    private readonly hub: Hub,
    private readonly timing: BusStreamTiming,
  ) {}

  get size(): number {
    let n = 0;
    for (const set of this.byKey.values()) n += set.size;
    return n;
  }

  /**
   * The stream this request continues (its connection gone, `lastEventId` one it sent), or a
   * new one, subscribed. Deliveries wait for `connect`. Throws the gateway's refusal.
   */
  open(
    grant: Grant,
    spec: BusStreamSpec,
    lastEventId: string | undefined,
  ): { stream: BusStream; resumed: boolean } {
    const key = BusStream.key(grant, spec);
    if (lastEventId !== undefined) {
      for (const s of this.byKey.get(key) ?? []) {
        if (!s.resumableFrom(lastEventId)) continue;
        if (s.resume(grant, lastEventId)) return { stream: s, resumed: true };
        s.end();
        break;
      }
    }
    const stream = new BusStream(this.hub, grant, spec, this.timing, (s) => this.forget(key, s));
    stream.subscribe(lastEventId);
    let set = this.byKey.get(key);
    if (!set) this.byKey.set(key, (set = new Set()));
    set.add(stream);
    return { stream, resumed: false };
  }

  private forget(key: string, stream: BusStream): void {
    const set = this.byKey.get(key);
    if (!set) return;
    set.delete(stream);
    if (set.size === 0) this.byKey.delete(key);
  }
}
