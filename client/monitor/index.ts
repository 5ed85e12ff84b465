export { runMonitor, type MonitorOptions } from './run-monitor.js';
export { HubPoller, MonitorError, type PollerStatus } from './hub-poller.js';
export { renderText } from './render-text.js';
export type { MonitorSnapshot } from './monitor-data.js';
