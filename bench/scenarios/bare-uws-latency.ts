import { defineLoadScenario } from '../lib/load-scenario.js';
import { startBareUws } from '../lib/peers.js';

export default defineLoadScenario({
  name: 'bare-uws-latency',
  description:
    'Physical limit: bare uWebSockets.js server + ws clients: open-loop pickup and result latency',
  system: 'bare-uws',
  workload: 'latency',
  loadgen: 'loadgen/bare-uws.js',
  server: startBareUws,
});
