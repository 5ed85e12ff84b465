import { defineLoadScenario } from '../lib/load-scenario.js';
import { NATS } from '../lib/peers.js';

export default defineLoadScenario({
  name: 'jetstream-file-latency',
  description:
    'NATS JetStream work-queue stream (file storage): open-loop pickup and result latency',
  system: 'jetstream-file',
  workload: 'latency',
  loadgen: 'loadgen/jetstream.js',
  requires: [NATS],
  peer: { storage: 'file' },
});
