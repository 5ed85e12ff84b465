import { appendFileSync } from 'node:fs';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

/**
 * Preloaded (`node --import`) into a benchmarked server process: appends each GC pause as
 * "<start, Unix ms> <duration ms>" to $SWITCHBOARD_BENCH_GC_LOG. The bench lays these over
 * the slowest pickups to tell a pause of the server from the machine's own stalls. Appended
 * as they come, so the file is complete however the server is stopped.
 */
const path = process.env.SWITCHBOARD_BENCH_GC_LOG;
// Worker threads (the store's compactor) inherit the preload; their pauses stop no one.
if (path && isMainThread) {
  new PerformanceObserver((list) => {
    let lines = '';
    for (const e of list.getEntries())
      lines += `${performance.timeOrigin + e.startTime} ${e.duration}\n`;
    appendFileSync(path, lines);
  }).observe({ entryTypes: ['gc'] });
}
