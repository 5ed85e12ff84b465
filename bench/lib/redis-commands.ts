import { Redis } from 'ioredis';
import { REDIS } from './peers.js';
import type { Metric } from './types.js';

/**
 * Redis commands a run cost, from `INFO commandstats` read before and after it (the
 * difference, so nothing is reset on a Redis others may be using). The count is for the
 * whole server: commands of any other client during the run are in it too.
 */
export type CommandCounts = ReadonlyMap<string, number>;

/** `cmdstat_<name>:calls=N,...` lines; subcommands (`client|setname`) keep their name. */
export function parseCommandStats(info: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_(\S+?):calls=(\d+)/gm)) counts.set(m[1]!, Number(m[2]));
  return counts;
}

export async function readCommandStats(): Promise<CommandCounts> {
  const redis = new Redis({ host: REDIS.host, port: REDIS.port, lazyConnect: true });
  try {
    await redis.connect();
    return parseCommandStats(await redis.info('commandstats'));
  } finally {
    redis.disconnect();
  }
}

/** Calls between two readings; the readings' own INFO calls are left out. */
export function diffCommandStats(before: CommandCounts, after: CommandCounts): Map<string, number> {
  const diff = new Map<string, number>();
  for (const [cmd, calls] of after) {
    const n = calls - (before.get(cmd) ?? 0);
    if (n > 0 && cmd !== 'info') diff.set(cmd, n);
  }
  return diff;
}

/**
 * Calls per task: the total as a column, and the commands that make up most of it (up to
 * eight, each at least 1% of all calls: eval, xadd, publish, ...) as details listed under
 * the table.
 */
export function commandMetrics(diff: ReadonlyMap<string, number>, tasks: number): Metric[] {
  const total = [...diff.values()].reduce((a, b) => a + b, 0);
  const perTask = (n: number): number => n / tasks;
  const byCommand = [...diff]
    .filter(([, n]) => n >= total / 100)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([cmd, n]): Metric => ({
      key: `redis-calls-per-task:${cmd}`,
      label: `Redis ${cmd}/task`,
      unit: 'calls',
      value: perTask(n),
      better: 'lower',
      detail: true,
    }));
  return [
    {
      key: 'redis-calls-per-task',
      label: 'Redis calls/task',
      unit: 'calls',
      value: perTask(total),
      better: 'lower',
    },
    ...byCommand,
  ];
}
