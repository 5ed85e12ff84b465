import { defineLoadScenario } from '../lib/load-scenario.js';
import { REDIS } from '../lib/peers.js';
import { startRedisHubs } from '../lib/redis-hubs.js';

export default defineLoadScenario({
  name: 'switchboard-redis-latency',
  description:
    'Switchboard on the Redis engine (one hub leading a cluster of one, journal in a Redis stream on the same Redis as BullMQ), raw frames',
  system: 'switchboard-redis',
  workload: 'latency',
  loadgen: 'loadgen/switchboard.js',
  peer: { system: 'switchboard-redis' },
  requires: [REDIS],
  server: (ctx) => startRedisHubs(ctx, { hubs: 1, workers: 'round-robin' }),
});
