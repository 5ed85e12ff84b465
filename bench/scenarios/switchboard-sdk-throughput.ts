import { startHub } from '../lib/hub.js';
import { defineLoadScenario } from '../lib/load-scenario.js';

export default defineLoadScenario({
  name: 'switchboard-sdk-throughput',
  description:
    'Switchboard, memory store, through the SDK (Producer.submitMany, Worker): N tasks end to end',
  system: 'switchboard-sdk',
  workload: 'throughput',
  loadgen: 'loadgen/switchboard-sdk.js',
  peer: { system: 'switchboard-sdk' },
  server: (ctx) => startHub(ctx, { preset: 'development' }),
});
