import { CloseCode } from '../protocol/index.js';
import type { ReconnectOptions } from './connection-options.js';

/**
 * Close codes of a cluster changing leaders (the hub that sent one is up; its leader failed
 * over, or none leads yet), and how long after the last one the backoff stays short. A
 * takeover is meant to end within seconds: a client that backed off exponentially while it
 * ran (10 s between rounds by default) would come back long after the cluster did.
 */
const TAKEOVER_CLOSE_CODES: ReadonlySet<number> = new Set([
  CloseCode.SERVICE_RESTART,
  CloseCode.TRY_AGAIN_LATER,
]);
const TAKEOVER_WINDOW_MS = 15_000;
/** The longest wait between rounds within that window (before jitter). */
export const TAKEOVER_MAX_DELAY_MS = 500;

/**
 * When a connection tries again: at once while a round (every URL tried once) has a URL
 * left, else after an exponential backoff with full jitter, short while a cluster takes over.
 */
export class ReconnectBackoff {
  /** Failed rounds in a row; the backoff grows with it. */
  attempt = 0;
  /** URLs that failed in the current round. */
  private failedInRound = 0;
  /** When a hub last closed with a takeover code (1012, 1013), until a session is made. */
  private takeoverSeenAt: number | undefined;

  constructor(private readonly options: ReconnectOptions) {}

  /** A session was made: the next loss starts from the shortest wait. */
  sessionMade(): void {
    this.attempt = 0;
    this.failedInRound = 0;
    this.takeoverSeenAt = undefined;
  }

  /** An HTTP fallback session was made (a takeover seen still shortens the waits). */
  fallbackMade(): void {
    this.attempt = 0;
    this.failedInRound = 0;
  }

  closedWith(code: number): void {
    if (TAKEOVER_CLOSE_CODES.has(code)) this.takeoverSeenAt = Date.now();
  }

  /** One URL of the round failed; true while the round has another one to try. */
  failedOne(urls: number): boolean {
    return ++this.failedInRound < urls;
  }

  endRound(): void {
    this.failedInRound = 0;
  }

  /** Reconnect is off, or `maxAttempts` failed rounds are behind. */
  exhausted(): boolean {
    const r = this.options;
    return r.enabled === false || (r.maxAttempts !== undefined && this.attempt >= r.maxAttempts);
  }

  /** The next round's wait (counting it as an attempt); `takeoverAware`: a WebSocket loss. */
  nextDelay(takeoverAware: boolean): number {
    const r = this.options;
    this.attempt++;
    const base = r.initialDelayMs ?? 100;
    // While the cluster changes leaders (a hub said so lately), rounds stay close together.
    const takeover =
      takeoverAware &&
      this.takeoverSeenAt !== undefined &&
      Date.now() - this.takeoverSeenAt < TAKEOVER_WINDOW_MS;
    const cap = Math.min(r.maxDelayMs ?? 10_000, takeover ? TAKEOVER_MAX_DELAY_MS : Infinity);
    // Full jitter: a fleet of workers that lost the same hub does not come back in lockstep.
    return Math.round(Math.random() * Math.min(cap, base * 2 ** (this.attempt - 1)));
  }
}
