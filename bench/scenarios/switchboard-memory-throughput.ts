import { startHub } from '../lib/hub.js';
import { defineLoadScenario } from '../lib/load-scenario.js';

export default defineLoadScenario({
  name: 'switchboard-memory-throughput',
  description: 'Switchboard, memory store (development preset), raw frames: N tasks end to end',
  system: 'switchboard-memory',
  workload: 'throughput',
  loadgen: 'loadgen/switchboard.js',
  peer: { system: 'switchboard-memory' },
  server: (ctx) => startHub(ctx, { preset: 'development' }),
});
