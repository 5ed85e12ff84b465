import { startHub } from '../lib/hub.js';
import { defineLoadScenario } from '../lib/load-scenario.js';

export default defineLoadScenario({
  name: 'switchboard-interval-throughput',
  description: 'Switchboard, WAL with fsync every 100 ms (throughput preset): N tasks end to end',
  system: 'switchboard-interval',
  workload: 'throughput',
  loadgen: 'loadgen/switchboard.js',
  peer: { system: 'switchboard-interval' },
  server: (ctx) =>
    startHub(ctx, { preset: 'throughput', dataDir: true, env: { SWITCHBOARD_AUTH: 'false' } }),
});
