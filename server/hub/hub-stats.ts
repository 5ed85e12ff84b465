import type { HubEvent } from '../core/index.js';

const WINDOW = 4096;

/**
 * Cheap running totals and a window of recent assignment latencies, for the JSON stats
 * endpoint the monitor polls (Prometheus has the same data as histograms).
 */
export class HubStats {
  submitted = 0;
  assigned = 0;
  completed = 0;
  failed = 0;
  retried = 0;
  dead = 0;
  expired = 0;
  cancelled = 0;
  private readonly latencies = new Float64Array(WINDOW);
  private latencyCount = 0;

  observe(event: HubEvent, now: number): void {
    switch (event.type) {
      case 'task.submitted':
        this.submitted++;
        break;
      case 'task.assigned': {
        this.assigned++;
        const t = event.task;
        this.latencies[this.latencyCount++ % WINDOW] = Math.max(
          0,
          now - Math.max(t.runAt, t.createdAt),
        );
        break;
      }
      case 'task.completed':
        this.completed++;
        break;
      case 'task.failed':
        this.failed++;
        this.retried++;
        break;
      case 'task.requeued':
        this.retried++;
        break;
      case 'task.dead':
        // A failed last attempt is a failure too (as in the Prometheus counters).
        if (event.task.error?.code !== 'LEASE_LOST') this.failed++;
        this.dead++;
        break;
      case 'task.expired':
        this.expired++;
        break;
      case 'task.cancelled':
        this.cancelled++;
        break;
      default:
        break;
    }
  }

  /** Percentiles (ms) of the most recent assignment latencies. */
  latency(): { p50: number; p99: number; samples: number } {
    const n = Math.min(this.latencyCount, WINDOW);
    if (n === 0) return { p50: 0, p99: 0, samples: 0 };
    const sorted = Array.from(this.latencies.subarray(0, n)).sort((a, b) => a - b);
    const at = (q: number): number => sorted[Math.min(n - 1, Math.floor(q * n))]!;
    return { p50: at(0.5), p99: at(0.99), samples: n };
  }

  toJSON(): Record<string, unknown> {
    return {
      submitted: this.submitted,
      assigned: this.assigned,
      completed: this.completed,
      failed: this.failed,
      retried: this.retried,
      dead: this.dead,
      expired: this.expired,
      cancelled: this.cancelled,
    };
  }
}
