import { startHub } from '../lib/hub.js';
import { defineLoadScenario } from '../lib/load-scenario.js';

export default defineLoadScenario({
  name: 'switchboard-durable-throughput',
  description:
    'Switchboard, WAL with fsync before every ack (production preset, auth off for the bench): N tasks end to end',
  system: 'switchboard-durable',
  workload: 'throughput',
  loadgen: 'loadgen/switchboard.js',
  peer: { system: 'switchboard-durable' },
  server: (ctx) =>
    startHub(ctx, { preset: 'production', dataDir: true, env: { SWITCHBOARD_AUTH: 'false' } }),
});
