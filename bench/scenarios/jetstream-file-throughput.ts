import { defineLoadScenario } from '../lib/load-scenario.js';
import { NATS } from '../lib/peers.js';

export default defineLoadScenario({
  name: 'jetstream-file-throughput',
  description:
    'NATS JetStream work-queue stream (file storage), durable pull consumer: N no-op tasks end to end',
  system: 'jetstream-file',
  workload: 'throughput',
  loadgen: 'loadgen/jetstream.js',
  requires: [NATS],
  peer: { storage: 'file' },
});
