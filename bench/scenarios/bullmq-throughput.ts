import { defineLoadScenario } from '../lib/load-scenario.js';
import { REDIS } from '../lib/peers.js';

export default defineLoadScenario({
  name: 'bullmq-throughput',
  description:
    'BullMQ on local Redis: N no-op tasks via addBulk, W workers × C, until the producer sees the last completed event',
  system: 'bullmq',
  workload: 'throughput',
  loadgen: 'loadgen/bullmq.js',
  requires: [REDIS],
  countRedisCommands: true,
});
