import type { OperationError } from './operation-error.js';

/**
 * How a durable operation reports when it is settled: a callback, for the WebSocket hot path
 * (no promise per frame), or, when none is given, the returned promise. Refusals are thrown
 * at once either way, before anything changed.
 */
export type Done<T> = (err: OperationError | undefined, value?: T) => void;
