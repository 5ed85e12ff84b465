import { defineLoadScenario } from '../lib/load-scenario.js';
import { NATS } from '../lib/peers.js';

export default defineLoadScenario({
  name: 'jetstream-memory-throughput',
  description:
    'NATS JetStream work-queue stream (memory storage), durable pull consumer: N no-op tasks end to end',
  system: 'jetstream-memory',
  workload: 'throughput',
  loadgen: 'loadgen/jetstream.js',
  requires: [NATS],
  peer: { storage: 'memory' },
});
