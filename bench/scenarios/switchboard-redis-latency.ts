import { randomBytes } from 'node:crypto';
import { startHub } from '../lib/hub.js';
import { defineLoadScenario } from '../lib/load-scenario.js';
import { REDIS } from '../lib/peers.js';

export default defineLoadScenario({
  name: 'switchboard-redis-latency',
  description:
    'Switchboard on the Redis engine (one hub leading a cluster of one, journal in a Redis stream on the same Redis as BullMQ), raw frames',
  system: 'switchboard-redis',
  workload: 'latency',
  loadgen: 'loadgen/switchboard.js',
  peer: { system: 'switchboard-redis' },
  requires: [REDIS],
  server: (ctx) =>
    startHub(ctx, {
      preset: 'development',
      args: ['--redis-url', `redis://${REDIS.host}:${REDIS.port}`],
      // A fresh cluster per run: nothing left by a run before is replayed.
      env: { SWITCHBOARD_REDIS_KEY_PREFIX: `bench-${randomBytes(4).toString('hex')}` },
    }),
});
