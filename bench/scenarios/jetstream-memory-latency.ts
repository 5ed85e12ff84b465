import { defineLoadScenario } from '../lib/load-scenario.js';
import { NATS } from '../lib/peers.js';

export default defineLoadScenario({
  name: 'jetstream-memory-latency',
  description:
    'NATS JetStream work-queue stream (memory storage): open-loop pickup and result latency',
  system: 'jetstream-memory',
  workload: 'latency',
  loadgen: 'loadgen/jetstream.js',
  requires: [NATS],
  peer: { storage: 'memory' },
});
