import type { Grant } from '../auth/index.js';

/** setTimeout's longest delay (about 24.8 days); a 30-day token re-arms once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Holder {
  grant: Grant;
  end: (why: 'revoked' | 'expired') => void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The connections that hold a token right now (WebSocket sessions, event streams), so that a
 * revocation or an expiry ends them while they are open, not only at their next handshake.
 * One timer per holder whose token expires, cleared when the holder goes: nothing here
 * outlives the connection.
 */
export class LiveGrants {
  private readonly holders = new Map<string, Holder>();

  get size(): number {
    return this.holders.size;
  }

  /**
   * Track `key` (a session or stream id) until `remove(key)`. `end` is called at most once,
   * when the token expires or `revokeWhere` matches it; the holder is forgotten first.
   */
  add(key: string, grant: Grant, end: (why: 'revoked' | 'expired') => void): void {
    this.remove(key);
    const holder: Holder = { grant, end, timer: undefined };
    this.holders.set(key, holder);
    if (grant.expiresAt !== undefined) this.arm(key, holder);
  }

  remove(key: string): void {
    const holder = this.holders.get(key);
    if (!holder) return;
    clearTimeout(holder.timer);
    this.holders.delete(key);
  }

  /** End every holder whose grant `revoked` says is revoked; returns how many. */
  revokeWhere(revoked: (grant: Grant) => boolean): number {
    let n = 0;
    for (const [key, holder] of [...this.holders]) {
      if (!revoked(holder.grant)) continue;
      this.remove(key);
      holder.end('revoked');
      n++;
    }
    return n;
  }

  /** Forget everything (hub stop). */
  clear(): void {
    for (const holder of this.holders.values()) clearTimeout(holder.timer);
    this.holders.clear();
  }

  private arm(key: string, holder: Holder): void {
    const left = holder.grant.expiresAt! - Date.now();
    if (left <= 0) {
      this.remove(key);
      holder.end('expired');
      return;
    }
    holder.timer = setTimeout(
      () => {
        holder.timer = undefined;
        if (this.holders.get(key) === holder) this.arm(key, holder);
      },
      Math.min(left, MAX_TIMER_MS),
    );
    holder.timer.unref();
  }
}
