import client from 'prom-client';
import { PRIORITY_NAMES } from '../../protocol/index.js';
import type { Core, HubEvent } from '../core/index.js';
import { LimitName, type LimitNameValue } from './limit-names.js';

type CounterChild = { inc(v?: number): void };

/** A counter child that buffers increments until the next scrape. */
class BufferedCount {
  pending = 0;
  constructor(private readonly child: CounterChild) {}
  inc(by = 1): void {
    this.pending += by;
  }
  flush(): void {
    if (this.pending) {
      this.child.inc(this.pending);
      this.pending = 0;
    }
  }
}
type HistogramChild = { observe(v: number): void };

/**
 * Prometheus metrics. Labels are queue names and small enums only — never task or
 * worker ids, which would grow series without bound. Gauges are read from the core at
 * scrape time, so the hot path pays only for counters and two histograms.
 */
export class HubMetrics {
  readonly registry = new client.Registry();
  private readonly counters: Record<string, client.Counter<'queue'>> = {};
  private readonly perQueue = new Map<string, QueueSeries>();
  private readonly assignLatency: client.Histogram<'queue'>;
  private readonly runTime: client.Histogram<'queue'>;
  readonly fsyncLatency: client.Histogram;
  readonly frames: client.Counter<'direction'>;
  private readonly scheduleFires: client.Counter<'outcome'>;
  private readonly scheduleLateness: client.Histogram;
  readonly protocolErrors: client.Counter<'code'>;
  readonly authFailures: client.Counter;
  readonly limitHits: client.Counter<'limit'>;
  /** Message bus counts, plain numbers on the hot path (read at scrape time). */
  readonly bus: Record<'published' | 'delivered' | 'dropped' | 'expired', BufferedCount>;

  constructor(core: () => Core, connections: () => number, defaults = true) {
    const r = this.registry;
    // Counts accumulate in plain numbers on the hot path and reach prom-client at scrape
    // time: its label lookup per increment showed up in the profile.
    const flush = (): void => {
      for (const q of this.perQueue.values()) for (const c of q.counts) c.flush();
    };
    const counter = (name: string, help: string): client.Counter<'queue'> =>
      new client.Counter({ name, help, labelNames: ['queue'], registers: [r], collect: flush });
    this.counters.submitted = counter(
      'switchboard_tasks_submitted_total',
      'Tasks accepted from producers.',
    );
    this.counters.assigned = counter(
      'switchboard_tasks_assigned_total',
      'Leases handed to workers (attempts started).',
    );
    this.counters.completed = counter(
      'switchboard_tasks_completed_total',
      'Tasks completed successfully.',
    );
    this.counters.failed = counter(
      'switchboard_tasks_failed_total',
      'Attempts that failed (handler error or timeout).',
    );
    this.counters.retried = counter(
      'switchboard_tasks_retried_total',
      'Tasks scheduled for another attempt (after failure or lease loss).',
    );
    this.counters.expired = counter(
      'switchboard_tasks_expired_total',
      'Tasks that expired unstarted (TTL).',
    );
    this.counters.dead = counter(
      'switchboard_tasks_dead_lettered_total',
      'Tasks moved to the dead-letter queue.',
    );
    this.counters.cancelled = counter('switchboard_tasks_cancelled_total', 'Tasks cancelled.');
    const buckets = [
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
      10, 30, 60,
    ];
    this.assignLatency = new client.Histogram({
      name: 'switchboard_assignment_latency_seconds',
      help: 'Time from a task becoming runnable to its lease, per attempt.',
      labelNames: ['queue'],
      buckets,
      registers: [r],
    });
    this.runTime = new client.Histogram({
      name: 'switchboard_task_run_seconds',
      help: 'Time from lease to completion or failure.',
      labelNames: ['queue'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600],
      registers: [r],
    });
    this.fsyncLatency = new client.Histogram({
      name: 'switchboard_wal_fsync_seconds',
      help: 'Latency of each WAL fsync (group commit).',
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
      registers: [r],
    });
    this.frames = new client.Counter({
      name: 'switchboard_frames_total',
      help: 'WebSocket frames.',
      labelNames: ['direction'],
      registers: [r],
    });
    const busCounter = (name: string, help: string): BufferedCount => {
      let count: BufferedCount | undefined = undefined;
      const c: client.Counter = new client.Counter({
        name,
        help,
        registers: [r],
        collect: (): void => count?.flush(),
      });
      count = new BufferedCount(c);
      return count;
    };
    this.bus = {
      published: busCounter(
        'switchboard_messages_published_total',
        'Messages accepted from publishers (all three guarantees).',
      ),
      delivered: busCounter(
        'switchboard_messages_delivered_total',
        'Message deliveries written to subscriber connections (and direct messages).',
      ),
      dropped: busCounter(
        'switchboard_messages_dropped_total',
        'at-most-once deliveries dropped because the subscriber connection was behind (over 1 MiB unsent).',
      ),
      expired: busCounter(
        'switchboard_messages_expired_total',
        'Stored messages whose TTL ran out before a subscription got them.',
      ),
    };
    this.protocolErrors = new client.Counter({
      name: 'switchboard_protocol_errors_total',
      help: 'Error frames sent, by code.',
      labelNames: ['code'],
      registers: [r],
    });
    this.authFailures = new client.Counter({
      name: 'switchboard_auth_failures_total',
      help: 'Rejected tokens (WebSocket and HTTP).',
      registers: [r],
    });
    this.limitHits = new client.Counter({
      name: 'switchboard_limit_hits_total',
      help: 'Connections, frames and requests stopped by a limit against hostile or broken clients (docs/limits.md), by limit.',
      labelNames: ['limit'],
      registers: [r],
    });
    // Every series exists from the start at 0, so an alert on rate() sees the first hit.
    for (const limit of Object.values(LimitName)) this.limitHits.labels(limit).inc(0);

    new client.Gauge({
      name: 'switchboard_queue_depth',
      help: 'Runnable tasks waiting, by queue and priority.',
      labelNames: ['queue', 'priority'],
      registers: [r],
      collect() {
        this.reset();
        for (const q of core().queues.values()) {
          for (let p = 0; p < 4; p++)
            this.set({ queue: q.name, priority: PRIORITY_NAMES[p]! }, q.depth[p]!);
        }
      },
    });
    const perQueue = (
      name: string,
      help: string,
      read: (q: { delayed: number; leased: number; dead: Set<string>; paused: boolean }) => number,
    ): void => {
      new client.Gauge({
        name,
        help,
        labelNames: ['queue'],
        registers: [r],
        collect() {
          this.reset();
          for (const q of core().queues.values()) this.set({ queue: q.name }, read(q));
        },
      });
    };
    perQueue(
      'switchboard_queue_delayed',
      'Tasks waiting for their run time (delay or retry backoff).',
      (q) => q.delayed,
    );
    perQueue('switchboard_queue_leased', 'Tasks currently leased to workers.', (q) => q.leased);
    perQueue('switchboard_queue_dead', 'Tasks in the dead-letter queue.', (q) => q.dead.size);
    perQueue('switchboard_queue_paused', '1 when the queue is paused.', (q) => (q.paused ? 1 : 0));
    // Queue limits (docs/rate-limits.md): series only for queues that have one.
    new client.Gauge({
      name: 'switchboard_queue_limit',
      help: 'A queue limit as set: rate (attempts per window), rate_window_seconds, concurrency, group_concurrency.',
      labelNames: ['queue', 'limit'],
      registers: [r],
      collect() {
        this.reset();
        for (const q of core().queues.values()) {
          const spec = q.limits?.spec;
          if (!spec) continue;
          if (spec.rate) {
            this.set({ queue: q.name, limit: 'rate' }, spec.rate.count);
            this.set({ queue: q.name, limit: 'rate_window_seconds' }, spec.rate.perMs / 1000);
          }
          if (spec.concurrency !== undefined)
            this.set({ queue: q.name, limit: 'concurrency' }, spec.concurrency);
          if (spec.group)
            this.set({ queue: q.name, limit: 'group_concurrency' }, spec.group.concurrency);
        }
      },
    });
    new client.Gauge({
      name: 'switchboard_queue_rate_window_starts',
      help: 'Attempts started in a rate-limited queue\'s current window (compare with switchboard_queue_limit{limit="rate"}).',
      labelNames: ['queue'],
      registers: [r],
      collect() {
        this.reset();
        const now = Date.now();
        for (const q of core().queues.values()) {
          if (q.limits?.spec.rate) this.set({ queue: q.name }, q.limits.startsInWindow(now));
        }
      },
    });
    new client.Gauge({
      name: 'switchboard_queue_groups_at_limit',
      help: 'Groups of a group-limited queue running as many tasks as they may.',
      labelNames: ['queue'],
      registers: [r],
      collect() {
        this.reset();
        for (const q of core().queues.values()) {
          if (q.limits?.spec.group) this.set({ queue: q.name }, q.limits.groupsAtLimit());
        }
      },
    });
    new client.Gauge({
      name: 'switchboard_schedules',
      help: 'Schedules by state (docs/schedules.md).',
      labelNames: ['state'],
      registers: [r],
      collect() {
        let paused = 0;
        for (const sch of core().schedules.byName.values()) if (sch.paused) paused++;
        this.set({ state: 'active' }, core().schedules.size - paused);
        this.set({ state: 'paused' }, paused);
      },
    });
    this.scheduleFires = new client.Counter({
      name: 'switchboard_schedule_fires_total',
      help: 'Schedule fires: made (a task) or skipped (missed, policy skip).',
      labelNames: ['outcome'],
      registers: [r],
    });
    this.scheduleLateness = new client.Histogram({
      name: 'switchboard_schedule_fire_lateness_seconds',
      help: 'How long after its occurrence each fire was made.',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 60, 3600],
      registers: [r],
    });
    new client.Gauge({
      name: 'switchboard_workers',
      help: 'Registered workers by state.',
      labelNames: ['state'],
      registers: [r],
      collect() {
        const counts: Record<string, number> = { active: 0, draining: 0, disconnected: 0 };
        for (const w of core().workers.values()) counts[w.state] = (counts[w.state] ?? 0) + 1;
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
    new client.Gauge({
      name: 'switchboard_connections',
      help: 'Open WebSocket connections.',
      registers: [r],
      collect() {
        this.set(connections());
      },
    });
    new client.Gauge({
      name: 'switchboard_tasks_retained',
      help: 'Task records held in memory (all states).',
      registers: [r],
      collect() {
        this.set(core().tasks.size);
      },
    });
    if (defaults) {
      client.collectDefaultMetrics({ register: r, prefix: 'switchboard_' });
      // prom-client names these gauges *_total, which the exposition format reserves for
      // counters (promtool rejects them); the same facts are in the other process metrics.
      for (const name of [
        'nodejs_active_handles_total',
        'nodejs_active_requests_total',
        'nodejs_active_resources_total',
      ]) {
        r.removeSingleMetric(`switchboard_${name}`);
      }
    }
  }

  limitHit(limit: LimitNameValue): void {
    this.limitHits.labels(limit).inc();
  }

  /** Label children per queue, resolved once: the hot path does one Map lookup per event. */
  private forQueue(queue: string): QueueSeries {
    let q = this.perQueue.get(queue);
    if (!q) {
      const c = this.counters;
      const b = (counter: client.Counter<'queue'>): BufferedCount =>
        new BufferedCount(counter.labels(queue));
      const counts = {
        submitted: b(c.submitted!),
        assigned: b(c.assigned!),
        completed: b(c.completed!),
        failed: b(c.failed!),
        retried: b(c.retried!),
        expired: b(c.expired!),
        dead: b(c.dead!),
        cancelled: b(c.cancelled!),
      };
      q = {
        ...counts,
        counts: Object.values(counts),
        assignLatency: this.assignLatency.labels(queue),
        runTime: this.runTime.labels(queue),
      };
      this.perQueue.set(queue, q);
    }
    return q;
  }

  observe(event: HubEvent, now: number): void {
    switch (event.type) {
      case 'task.submitted':
        this.forQueue(event.task.queue).submitted.inc();
        break;
      case 'task.assigned': {
        const t = event.task;
        const q = this.forQueue(t.queue);
        q.assigned.inc();
        q.assignLatency.observe(Math.max(0, now - Math.max(t.runAt, t.createdAt)) / 1000);
        break;
      }
      case 'task.completed': {
        const q = this.forQueue(event.task.queue);
        q.completed.inc();
        q.runTime.observe(Math.max(0, now - event.task.startedAt) / 1000);
        break;
      }
      case 'task.failed': {
        const q = this.forQueue(event.task.queue);
        q.failed.inc();
        q.retried.inc();
        q.runTime.observe(Math.max(0, now - event.task.startedAt) / 1000);
        break;
      }
      case 'task.requeued':
        this.forQueue(event.task.queue).retried.inc();
        break;
      case 'task.dead': {
        const q = this.forQueue(event.task.queue);
        if (event.task.error?.code !== 'LEASE_LOST') q.failed.inc();
        q.dead.inc();
        break;
      }
      case 'task.expired':
        this.forQueue(event.task.queue).expired.inc();
        break;
      case 'task.cancelled':
        this.forQueue(event.task.queue).cancelled.inc();
        break;
      case 'bus.expired':
        this.bus.expired.inc();
        break;
      case 'schedule.fired':
        this.scheduleFires.inc({ outcome: event.taskId !== undefined ? 'made' : 'skipped' });
        this.scheduleLateness.observe(Math.max(0, now - event.at) / 1000);
        break;
      default:
        break;
    }
  }
}

interface QueueSeries {
  submitted: BufferedCount;
  assigned: BufferedCount;
  completed: BufferedCount;
  failed: BufferedCount;
  retried: BufferedCount;
  expired: BufferedCount;
  dead: BufferedCount;
  cancelled: BufferedCount;
  counts: BufferedCount[];
  assignLatency: HistogramChild;
  runTime: HistogramChild;
}
