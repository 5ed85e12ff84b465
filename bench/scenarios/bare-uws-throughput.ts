import { defineLoadScenario } from '../lib/load-scenario.js';
import { startBareUws } from '../lib/peers.js';

export default defineLoadScenario({
  name: 'bare-uws-throughput',
  description:
    'Physical limit: bare uWebSockets.js server + ws clients, same msgpack frames, no hub logic: N tasks end to end',
  system: 'bare-uws',
  workload: 'throughput',
  loadgen: 'loadgen/bare-uws.js',
  server: startBareUws,
});
