import { defineLoadScenario } from '../lib/load-scenario.js';
import { REDIS } from '../lib/peers.js';
import { startRedisHubs } from '../lib/redis-hubs.js';

export default defineLoadScenario({
  name: 'switchboard-redis-cross-throughput',
  description:
    'Switchboard on the Redis engine, two hubs of one cluster: producer on hub A (the leader), every worker on hub B (an edge relaying over Redis pub/sub)',
  system: 'switchboard-redis-cross',
  workload: 'throughput',
  loadgen: 'loadgen/switchboard.js',
  peer: { system: 'switchboard-redis-cross' },
  requires: [REDIS],
  countRedisCommands: true,
  server: (ctx) => startRedisHubs(ctx, { hubs: 2, workers: 'edges' }),
});
