import { startHub } from '../lib/hub.js';
import { defineLoadScenario } from '../lib/load-scenario.js';

export default defineLoadScenario({
  name: 'switchboard-memory-latency',
  description: 'Switchboard, memory store, raw frames: open-loop pickup and result latency',
  system: 'switchboard-memory',
  workload: 'latency',
  loadgen: 'loadgen/switchboard.js',
  peer: { system: 'switchboard-memory' },
  server: (ctx) => startHub(ctx, { preset: 'development' }),
});
