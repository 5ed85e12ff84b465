import { ErrorCode } from '../../protocol/index.js';

/** Why a new connection was refused, and what to answer. */
export interface Refusal {
  /** 503 when the hub-wide cap is reached, 429 when the per-address one is. */
  status: 503 | 429;
  reason: 'global' | 'per_address';
  /** The JSON body: `{"error":{"code":"TOO_MANY_CONNECTIONS","message":…}}`. */
  body: string;
}

/** Seconds a refused client is asked to wait (`retry-after`). */
export const REFUSAL_RETRY_AFTER_S = 5;

/**
 * A hub-wide and a per-address count of open connections, shared by both WebSocket
 * transports and the HTTP side port. O(1) per connection; the map holds only addresses
 * with something open. Callers check `refusal` before accepting, then `add` once the
 * connection exists and `remove` when it closes: the check and the count are separate so
 * a handshake that fails between them cannot leak a slot.
 */
export class ConnectionCaps {
  private total = 0;
  private readonly perAddress = new Map<string, number>();

  /**
   * @param max hub-wide cap, 0 = none
   * @param maxPerAddress per-IP cap, 0 = none
   * @param onRefused counts the refusal (a metric)
   */
  constructor(
    private readonly max: number,
    private readonly maxPerAddress: number,
    private readonly what: string,
    private readonly onRefused: (reason: Refusal['reason']) => void = () => {},
  ) {}

  get open(): number {
    return this.total;
  }

  countFor(address: string): number {
    return this.perAddress.get(normalizeAddress(address)) ?? 0;
  }

  refusal(address: string): Refusal | undefined {
    if (this.max > 0 && this.total >= this.max) {
      this.onRefused('global');
      return refusal(503, 'global', `the hub has ${this.max} ${this.what} open, its limit`);
    }
    if (this.maxPerAddress > 0) {
      const n = this.perAddress.get(normalizeAddress(address)) ?? 0;
      if (n >= this.maxPerAddress) {
        this.onRefused('per_address');
        return refusal(
          429,
          'per_address',
          `your address has ${n} ${this.what} open, the limit per address`,
        );
      }
    }
    return undefined;
  }

  add(address: string): void {
    this.total++;
    const key = normalizeAddress(address);
    this.perAddress.set(key, (this.perAddress.get(key) ?? 0) + 1);
  }

  remove(address: string): void {
    const key = normalizeAddress(address);
    const n = this.perAddress.get(key);
    if (n === undefined) return;
    this.total--;
    if (n <= 1) this.perAddress.delete(key);
    else this.perAddress.set(key, n - 1);
  }
}

function refusal(status: 503 | 429, reason: Refusal['reason'], message: string): Refusal {
  return {
    status,
    reason,
    body: JSON.stringify({
      error: {
        code: ErrorCode.TOO_MANY_CONNECTIONS,
        message: `${message}; retry in ${REFUSAL_RETRY_AFTER_S} s`,
      },
    }),
  };
}

/** `::ffff:10.0.0.1` (IPv4 on a dual-stack socket) and `10.0.0.1` are the same client. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** The status line text for a refusal, for transports that write it themselves. */
export function statusText(status: Refusal['status']): string {
  return status === 503 ? '503 Service Unavailable' : '429 Too Many Requests';
}
