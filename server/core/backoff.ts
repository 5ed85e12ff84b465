import type { BackoffSpec } from '../../protocol/index.js';

/**
 * Deterministic jitter in [0, 1) from the task id and attempt. The core may not call
 * Math.random() (replay must reproduce every decision), yet retries of different tasks
 * must not line up; a hash of (id, attempt) gives both.
 */
export function jitterFor(taskId: string, attempt: number): number {
  let h = 0x811c9dc5 ^ attempt;
  for (let i = 0; i < taskId.length; i++) {
    h ^= taskId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return (h >>> 0) / 0x100000000;
}

/**
 * Delay before the next attempt after `attempt` failed. Exponential doubles the base per
 * attempt, capped at maxDelayMs, then "equal jitter": half fixed, half random, so retries
 * spread out but never collapse to zero.
 */
export function backoffDelay(spec: BackoffSpec, attempt: number, jitter: number): number {
  const max = spec.maxDelayMs ?? 3_600_000;
  const raw =
    spec.type === 'fixed' ? spec.delayMs : spec.delayMs * Math.pow(2, Math.max(0, attempt - 1));
  const capped = Math.min(raw, max);
  return Math.round(capped / 2 + (capped / 2) * jitter);
}
