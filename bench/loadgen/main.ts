import { childMain } from '../lib/child-main.js';
import type { LoadAdapter } from './adapter.js';
import { runLatency } from './latency.js';
import type { LoadgenOutput, LoadgenParams } from './params.js';
import { runThroughput } from './throughput.js';

/**
 * Entry point shared by every load generator file: `loadgenMain((params) => adapter)` parses
 * --params, runs the requested workload and reports the output to the parent.
 */
export function loadgenMain(create: (params: LoadgenParams) => LoadAdapter): void {
  childMain<LoadgenParams, LoadgenOutput>(async (params) => {
    const adapter = create(params);
    return params.mode === 'throughput'
      ? runThroughput(adapter, params)
      : runLatency(adapter, params);
  });
}
