import { defineLoadScenario } from '../lib/load-scenario.js';
import { REDIS } from '../lib/peers.js';

export default defineLoadScenario({
  name: 'bullmq-latency',
  description:
    'BullMQ on local Redis: open-loop rate, submit→handler start and submit→completed event seen',
  system: 'bullmq',
  workload: 'latency',
  loadgen: 'loadgen/bullmq.js',
  requires: [REDIS],
});
