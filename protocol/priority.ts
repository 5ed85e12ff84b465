/**
 * Four priority levels, served strictly in this order; FIFO within a level.
 * Names travel on the wire; the numeric level is an internal index.
 */
export const Priority = {
  critical: 0,
  high: 1,
  normal: 2,
  low: 3,
} as const;

export type PriorityName = keyof typeof Priority;
export type PriorityLevel = (typeof Priority)[PriorityName];

export const PRIORITY_NAMES: readonly PriorityName[] = ['critical', 'high', 'normal', 'low'];

export function priorityName(level: number): PriorityName {
  return PRIORITY_NAMES[level] ?? 'normal';
}
