/** A hub's lifecycle: created → recovering → ready → draining → stopped, never back. */
export const HubPhase = {
  created: 'created',
  recovering: 'recovering',
  ready: 'ready',
  draining: 'draining',
  stopped: 'stopped',
} as const;
export type HubPhaseName = (typeof HubPhase)[keyof typeof HubPhase];
