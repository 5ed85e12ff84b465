import { childArgs } from './child-main.js';
import { runChild, type ServerChild } from './child-process.js';
import { attributeTail, readGcLog, type GcPause } from './gc-log.js';
import { probeTcp } from './net.js';
import { benchScript } from './paths.js';
import { diffProcStats, readProcStats, type ProcStats } from './proc-stats.js';
import { commandMetrics, diffCommandStats, readCommandStats } from './redis-commands.js';
import type { Metric, Result, Scenario, ScenarioContext } from './types.js';
import type { LatencyOutput, LoadgenParams, ThroughputOutput } from '../loadgen/params.js';

/**
 * Build a scenario from a load generator (bench/loadgen/<x>.ts, run as a child process) and
 * optionally a server child that the scenario starts first (the bare-uWS peer, the hub).
 * Peers and hub alike go through this, so every system sees identical workloads.
 */
export interface ServerUnderTest {
  readonly child: ServerChild;
  /** Passed to the load generator as params.peer (e.g. { url: 'ws://127.0.0.1:P/' }). */
  readonly peer: Readonly<Record<string, string | number | boolean>>;
  /** Where the server records its GC pauses (a Node.js server started with gcRecording()). */
  readonly gcLog?: string;
  /** Every process of a system of several (hubs of one cluster): CPU and RSS are summed. */
  readonly pids?: readonly number[];
}

export interface LoadScenarioSpec {
  readonly name: string;
  readonly description: string;
  /** System id in results, e.g. 'bullmq'. */
  readonly system: string;
  readonly workload: 'throughput' | 'latency';
  /** Compiled load generator relative to dist/bench/, e.g. 'loadgen/bullmq.js'. */
  readonly loadgen: string;
  /** TCP endpoints that must answer, else every row is SKIPPED with the reason. */
  readonly requires?: readonly {
    readonly what: string;
    readonly host: string;
    readonly port: number;
  }[];
  /** Extra params.peer for the load generator (e.g. { storage: 'memory' }). */
  readonly peer?: Readonly<Record<string, string | number | boolean>>;
  /**
   * Count the Redis commands of each throughput run (INFO commandstats before and after)
   * and report calls per task, warm-up tasks included.
   */
  readonly countRedisCommands?: boolean;
  /** Start the server under test (once per scenario run; stopped after). */
  readonly server?: (ctx: ScenarioContext) => Promise<ServerUnderTest>;
}

function workloadName(spec: LoadScenarioSpec, rate?: number): string {
  return spec.workload === 'throughput' ? 'throughput' : `latency@${rate}/s`;
}

function loadgenCpu(pct: number): Metric {
  return { key: 'loadgen-cpu-pct', label: 'loadgen CPU', unit: '%', value: pct, better: 'lower' };
}

export function throughputMetrics(out: ThroughputOutput): Metric[] {
  return [
    {
      key: 'tasks-per-sec',
      label: 'tasks/s',
      unit: 'tasks/s',
      value: out.tasksPerSec,
      better: 'higher',
    },
    { key: 'elapsed-ms', label: 'elapsed', unit: 'ms', value: out.elapsedMs, better: 'lower' },
    loadgenCpu(out.loadgenCpuPct),
  ];
}

export function latencyMetrics(out: LatencyOutput): Metric[] {
  const m = (key: string, label: string, value: number): Metric => ({
    key,
    label,
    unit: 'ms',
    value,
    better: 'lower',
  });
  return [
    m('pickup-p99', 'pickup p99', out.pickup.p99),
    m('pickup-p50', 'pickup p50', out.pickup.p50),
    m('pickup-p999', 'pickup p999', out.pickup.p999),
    m('result-p50', 'result p50', out.roundTrip.p50),
    m('result-p99', 'result p99', out.roundTrip.p99),
    m('result-p999', 'result p999', out.roundTrip.p999),
    {
      key: 'tail-in-loadgen-gc-pct',
      label: '≥p99 in loadgen GC',
      unit: '%',
      value: out.tailInLoadgenGcPct,
      better: 'lower',
    },
    loadgenCpu(out.loadgenCpuPct),
  ];
}

function serverMetrics(stats: ProcStats, seconds: number): Metric[] {
  return [
    {
      key: 'server-cpu-pct',
      label: 'server CPU',
      unit: '%',
      value: stats.cpuMs / 10 / seconds,
      better: 'lower',
    },
    {
      key: 'server-rss-mb',
      label: 'server RSS',
      unit: 'MB',
      value: stats.rssBytes / 2 ** 20,
      better: 'lower',
    },
  ];
}

/** CPU spent by all `pids` since `before`, and their RSS now. */
function sumProcStats(pids: readonly number[], before: readonly ProcStats[]): ProcStats {
  const diffs = pids.map((pid, i) => diffProcStats(before[i]!, readProcStats(pid)));
  const sum = (f: (s: ProcStats) => number): number => diffs.reduce((a, d) => a + f(d), 0);
  return {
    rssBytes: sum((d) => d.rssBytes),
    cpuUserMs: sum((d) => d.cpuUserMs),
    cpuSystemMs: sum((d) => d.cpuSystemMs),
    cpuMs: sum((d) => d.cpuMs),
  };
}

function gcMetrics(out: LatencyOutput, pauses: readonly GcPause[]): Metric[] {
  const a = attributeTail(out.pickupTail, pauses, out.measuredFrom, out.measuredTo);
  return [
    {
      key: 'tail-in-server-gc-pct',
      label: '≥p99 in server GC',
      unit: '%',
      value: a.tailInGcPct,
      better: 'lower',
    },
    {
      key: 'server-gc-max-ms',
      label: 'server GC max pause',
      unit: 'ms',
      value: a.maxPauseMs,
      better: 'lower',
    },
  ];
}

function infoNotes(info: Record<string, string>): string[] {
  return Object.entries(info).map(([k, v]) => `${k}: ${v}`);
}

export function defineLoadScenario(spec: LoadScenarioSpec): Scenario {
  const run = async (ctx: ScenarioContext): Promise<Result[]> => {
    const o = ctx.options;
    const workloads = spec.workload === 'throughput' ? [undefined] : o.rates;
    const skipAll = (status: 'skipped' | 'failed', reason: string): Result[] =>
      workloads.map((rate) => ({
        status,
        reason,
        system: spec.system,
        workload: workloadName(spec, rate),
      }));
    for (const r of spec.requires ?? []) {
      const why = await probeTcp(r.host, r.port);
      if (why) return skipAll('skipped', `${r.what} ${why}`);
    }
    let server: ServerUnderTest | undefined;
    try {
      server = spec.server ? await spec.server(ctx) : undefined;
    } catch (err) {
      return skipAll('failed', `server did not start: ${(err as Error).message}`);
    }
    const results: Result[] = [];
    try {
      for (const rate of workloads) {
        const workload = workloadName(spec, rate);
        const base = {
          workers: o.workers,
          concurrency: o.concurrency,
          peer: { ...spec.peer, ...server?.peer },
        };
        const params: LoadgenParams =
          rate === undefined
            ? {
                ...base,
                mode: 'throughput',
                tasks: o.tasks,
                batch: o.batch,
                window: o.window,
                warmupTasks: o.warmupTasks,
              }
            : {
                ...base,
                mode: 'latency',
                rate,
                durationMs: o.durationMs,
                warmupMs: ctx.quick ? 300 : 1000,
                drainMs: 5000,
              };
        ctx.log(`${spec.name} ${workload} (run ${ctx.run}/${ctx.runs})`);
        const pids = server ? (server.pids ?? [server.child.pid]) : [];
        const before = pids.map(readProcStats);
        const commandsBefore =
          spec.countRedisCommands && rate === undefined ? await readCommandStats() : undefined;
        const t0 = performance.now();
        const out = await runChild<ThroughputOutput | LatencyOutput>({
          label: `${spec.system}`,
          args: childArgs(benchScript(spec.loadgen), params, o.childTimeoutMs - 1000),
          timeoutMs: o.childTimeoutMs,
        });
        const seconds = (performance.now() - t0) / 1000;
        const commandsAfter = commandsBefore ? await readCommandStats() : undefined;
        if (out.kind !== 'result') {
          results.push({
            status: out.kind === 'skip' ? 'skipped' : 'failed',
            reason: out.reason,
            system: spec.system,
            workload,
          });
          if (out.kind === 'skip') break;
          continue;
        }
        const data = out.data;
        const metrics = data.mode === 'throughput' ? throughputMetrics(data) : latencyMetrics(data);
        if (server && !server.child.exited()) {
          metrics.push(...serverMetrics(sumProcStats(pids, before), seconds));
        }
        if (commandsBefore && commandsAfter && data.mode === 'throughput') {
          const tasks = data.tasks + o.warmupTasks;
          metrics.push(...commandMetrics(diffCommandStats(commandsBefore, commandsAfter), tasks));
        }
        if (data.mode === 'latency' && server?.gcLog) {
          // The observer reports a pause shortly after it ends.
          await new Promise((r) => setTimeout(r, 200));
          metrics.push(...gcMetrics(data, readGcLog(server.gcLog)));
        }
        const notes = infoNotes(data.info);
        if (data.mode === 'latency' && data.received < data.sent) {
          notes.push(`lost or late: ${data.sent - data.received} of ${data.sent} results`);
        }
        if (data.mode === 'latency' && data.achievedRate < data.rate * 0.95) {
          notes.push(`achieved only ${Math.round(data.achievedRate)}/s of ${data.rate}/s`);
        }
        results.push({ status: 'ok', system: spec.system, workload, metrics, notes });
      }
    } finally {
      await server?.child.stop();
    }
    return results;
  };
  return { name: spec.name, description: spec.description, run };
}
