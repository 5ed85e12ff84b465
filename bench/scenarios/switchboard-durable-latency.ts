import { startHub } from '../lib/hub.js';
import { defineLoadScenario } from '../lib/load-scenario.js';

export default defineLoadScenario({
  name: 'switchboard-durable-latency',
  description: 'Switchboard, WAL with fsync before every ack: open-loop pickup and result latency',
  system: 'switchboard-durable',
  workload: 'latency',
  loadgen: 'loadgen/switchboard.js',
  peer: { system: 'switchboard-durable' },
  server: (ctx) =>
    startHub(ctx, { preset: 'production', dataDir: true, env: { SWITCHBOARD_AUTH: 'false' } }),
});
