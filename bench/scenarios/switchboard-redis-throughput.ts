import { defineLoadScenario } from '../lib/load-scenario.js';
import { REDIS } from '../lib/peers.js';
import { startRedisHubs } from '../lib/redis-hubs.js';
import type { Result, Scenario } from '../lib/types.js';

/** One row per `--hubs` count: N hubs of one cluster, workers spread over them round-robin. */
function withHubs(hubs: number): Scenario {
  return defineLoadScenario({
    name: 'switchboard-redis-throughput',
    description: `Switchboard on the Redis engine, ${hubs} hub(s)`,
    system: hubs === 1 ? 'switchboard-redis' : `switchboard-redis-${hubs}hubs`,
    workload: 'throughput',
    loadgen: 'loadgen/switchboard.js',
    peer: { system: 'switchboard-redis' },
    requires: [REDIS],
    countRedisCommands: true,
    server: (ctx) => startRedisHubs(ctx, { hubs, workers: 'round-robin' }),
  });
}

const scenario: Scenario = {
  name: 'switchboard-redis-throughput',
  description:
    'Switchboard on the Redis engine (journal in a Redis stream on the same Redis as BullMQ), raw frames; --hubs N: N hubs of one cluster, producer on the leader, workers round-robin over all',
  async run(ctx): Promise<Result[]> {
    const results: Result[] = [];
    for (const hubs of ctx.options.hubs) results.push(...(await withHubs(hubs).run(ctx)));
    return results;
  },
};

export default scenario;
