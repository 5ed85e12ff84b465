import type { TaskSpec } from '../../protocol/index.js';
import type { TaskOptions } from './records.js';

/** The core options a task falls back to when its spec does not say. */
export interface TaskOptionDefaults {
  defaultMaxAttempts: number;
  defaultBackoff: TaskOptions['backoff'];
  defaultTimeoutMs: number;
  resultTtlMs: number;
}

/**
 * Task options with one shared object for every task submitted without any: most tasks,
 * so a million queued tasks carry one pointer each instead of six fields (48 B).
 */
export class TaskOptionsPool {
  readonly defaults: TaskOptions;

  constructor(private readonly o: TaskOptionDefaults) {
    this.defaults = Object.freeze({
      maxAttempts: o.defaultMaxAttempts,
      backoff: o.defaultBackoff,
      timeoutMs: o.defaultTimeoutMs,
      resultTtlMs: o.resultTtlMs,
      requires: undefined,
      idempotencyKey: undefined,
    });
  }

  /** The shared defaults unless the spec sets any option. */
  forSpec(spec: TaskSpec): TaskOptions {
    const requires = spec.requires && spec.requires.length ? [...spec.requires].sort() : undefined;
    if (
      spec.maxAttempts === undefined &&
      spec.backoff === undefined &&
      spec.timeoutMs === undefined &&
      spec.resultTtlMs === undefined &&
      requires === undefined &&
      spec.idempotencyKey === undefined
    ) {
      return this.defaults;
    }
    const o = this.o;
    return {
      maxAttempts: spec.maxAttempts ?? o.defaultMaxAttempts,
      backoff: spec.backoff ?? o.defaultBackoff,
      timeoutMs: spec.timeoutMs ?? o.defaultTimeoutMs,
      resultTtlMs: spec.resultTtlMs ?? o.resultTtlMs,
      requires,
      idempotencyKey: spec.idempotencyKey,
    };
  }

  /** Options read back from a snapshot: the shared object again when they are the defaults. */
  intern(options: TaskOptions): TaskOptions {
    const d = this.defaults;
    const same =
      options.maxAttempts === d.maxAttempts &&
      options.timeoutMs === d.timeoutMs &&
      options.resultTtlMs === d.resultTtlMs &&
      options.requires === undefined &&
      options.idempotencyKey === undefined &&
      options.backoff.type === d.backoff.type &&
      options.backoff.delayMs === d.backoff.delayMs &&
      options.backoff.maxDelayMs === d.backoff.maxDelayMs;
    return same ? d : options;
  }
}
