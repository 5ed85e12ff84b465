import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FederationCoreOutput, FederationCoreParams } from '../loadgen/federation-core.js';
import type { FederationHttpOutput, FederationHttpParams } from '../loadgen/federation-http.js';
import { childArgs } from '../lib/child-main.js';
import { runChild, startServer, type ServerChild } from '../lib/child-process.js';
import {
  FULL_WORKLOAD,
  QUICK_WORKLOAD,
  type FederationWorkload,
} from '../lib/federation-workload.js';
import { startHub } from '../lib/hub.js';
import { freePort } from '../lib/net.js';
import { benchScript } from '../lib/paths.js';
import type { Metric, Result, Scenario, ScenarioContext } from '../lib/types.js';

/**
 * Federated summaries (issue 16) at 10,000 agents × 1,000 fact hashes: the hub (memory
 * store, and the WAL with fsync before every acknowledgement) against the reference
 * coordinator's approach, recompute-on-pull (bench/peers/federation-reference-server.ts),
 * over the same HTTP workload; and the same comparison inside one process, without HTTP,
 * with what the state costs (heap, snapshot). `--quick`: 1,000 agents.
 */
const CONCURRENCY = 16;
const NEW_HASHES_PER_CHURN = 10;

/** Rates off: the bench pushes and pulls far faster than any one agent should. */
const BENCH_CONFIG = `federation:
  pushRate: { perMinute: 0 }
  pullRate: { perMinute: 0 }
`;

function httpMetrics(d: FederationHttpOutput): Metric[] {
  return [
    {
      key: 'pull-p99-churn',
      label: 'pull p99 after a change',
      unit: 'ms',
      value: d.churnPullP99Ms,
      better: 'lower',
    },
    {
      key: 'pull-p50-churn',
      label: 'pull p50 after a change',
      unit: 'ms',
      value: d.churnPullP50Ms,
      better: 'lower',
    },
    {
      key: 'pull-p99-quiet',
      label: 'pull p99, no change',
      unit: 'ms',
      value: d.quietPullP99Ms,
      better: 'lower',
    },
    {
      key: 'pull-first',
      label: 'first pull after the load',
      unit: 'ms',
      value: d.firstPullMs,
      better: 'lower',
    },
    { key: 'pushes', label: 'pushes', unit: 'pushes/s', value: d.pushesPerSec, better: 'higher' },
    { key: 'push-p99', label: 'push p99', unit: 'ms', value: d.pushP99Ms, better: 'lower' },
    {
      key: 'cpu-per-push',
      label: 'server CPU/push',
      unit: 'ms',
      value: d.serverCpuMsPerPush,
      better: 'lower',
    },
    {
      key: 'user-cpu-per-push',
      label: 'of it in user space',
      unit: 'ms',
      value: d.serverUserMsPerPush,
      better: 'lower',
    },
    {
      key: 'main-thread-cpu-per-push',
      label: 'of it on the event loop',
      unit: 'ms',
      value: d.serverMainThreadMsPerPush,
      better: 'lower',
    },
    {
      key: 'system-cpu-per-push',
      label: 'of it in the kernel',
      unit: 'ms',
      value: d.serverSystemMsPerPush,
      better: 'lower',
    },
    { key: 'rss', label: 'server RSS', unit: 'MB', value: d.serverRssMb, better: 'lower' },
  ];
}

async function httpRun(
  ctx: ScenarioContext,
  system: string,
  workload: FederationWorkload,
  server: { child: ServerChild; base: string },
  pulls: { quiet: number; churn: number },
): Promise<Result> {
  const label = `${workload.agents} agents × ${workload.hashesPerAgent} hashes, HTTP`;
  try {
    const params: FederationHttpParams = {
      base: server.base,
      serverPid: server.child.pid,
      workload,
      concurrency: CONCURRENCY,
      quietPulls: pulls.quiet,
      churnPulls: pulls.churn,
      newHashesPerChurn: NEW_HASHES_PER_CHURN,
    };
    const out = await runChild<FederationHttpOutput>({
      label: `${system}-loadgen`,
      args: [
        '--max-old-space-size=4096',
        ...childArgs(benchScript('loadgen/federation-http.js'), params, 600_000),
      ],
      timeoutMs: 610_000,
    });
    if (out.kind !== 'result')
      return {
        status: out.kind === 'skip' ? 'skipped' : 'failed',
        workload: label,
        system,
        reason: out.reason,
      };
    const d = out.data;
    ctx.log(
      `${system}: ${Math.round(d.pushesPerSec)} pushes/s, pull p99 ${d.churnPullP99Ms.toFixed(1)} ms after a change`,
    );
    return {
      status: 'ok',
      workload: label,
      system,
      metrics: httpMetrics(d),
      notes: [
        `${d.distinctHashes.toLocaleString('en-US')} distinct hashes, ${(d.pullBytes / 1e6).toFixed(1)} MB a pull`,
        `${pulls.quiet} pulls with no change, ${pulls.churn} each after a re-push with ${NEW_HASHES_PER_CHURN} new hashes`,
        ...(d.resets > 0
          ? [`${d.resets} request(s) sent again after a kept-alive socket was reset`]
          : []),
      ],
    };
  } finally {
    await server.child.stop(10_000);
  }
}

async function hubServer(
  ctx: ScenarioContext,
  durable: boolean,
  configFile: string,
  nodeDefaults = false,
): Promise<{ child: ServerChild; base: string }> {
  const hub = await startHub(ctx, {
    nodeDefaults,
    preset: durable ? 'production' : 'development',
    dataDir: durable,
    args: ['--host', '127.0.0.1', '--config', configFile],
    // Production without tokens: the bench measures the coordinator, not JWT checks; a
    // federation key (what agmem uses) is still looked up on every request.
    env: durable ? { SWITCHBOARD_AUTH: 'false' } : {},
    nodeFlags: ['--max-old-space-size=4096'],
  });
  const minted = await fetch(`${hub.peer.httpUrl}/api/v1/federation-keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ federation: 'bench' }),
  });
  if (minted.status !== 201) {
    await hub.child.stop();
    throw new Error(`minting a federation key: ${minted.status} ${await minted.text()}`);
  }
  const { key } = (await minted.json()) as { key: string };
  return { child: hub.child, base: `${String(hub.peer.httpUrl)}/federation/${key}` };
}

async function referenceServer(
  ctx: ScenarioContext,
): Promise<{ child: ServerChild; base: string }> {
  const port = await freePort();
  const child = await startServer({
    label: 'federation-reference',
    args: [
      '--max-old-space-size=6144',
      benchScript('peers/federation-reference-server.js'),
      '--port',
      String(port),
    ],
    timeoutMs: ctx.options.childTimeoutMs + 600_000,
    ready: { kind: 'message' },
  });
  return { child, base: `http://127.0.0.1:${port}` };
}

async function coreRun(workload: FederationWorkload, quick: boolean): Promise<Result[]> {
  const label = `${workload.agents} agents × ${workload.hashesPerAgent} hashes, in process`;
  const params: FederationCoreParams = {
    workload,
    churnPulls: quick ? 20 : 100,
    referencePulls: quick ? 5 : 10,
    newHashesPerChurn: NEW_HASHES_PER_CHURN,
  };
  const out = await runChild<FederationCoreOutput>({
    label: 'federation-core',
    args: [
      '--expose-gc',
      '--max-old-space-size=8192',
      ...childArgs(benchScript('loadgen/federation-core.js'), params, 600_000),
    ],
    timeoutMs: 610_000,
  });
  if (out.kind !== 'result') {
    const status = out.kind === 'skip' ? 'skipped' : 'failed';
    return [
      { status, workload: label, system: 'switchboard-core', reason: out.reason },
      { status, workload: label, system: 'reference-recompute', reason: out.reason },
    ];
  }
  const d = out.data;
  const pull = (v: number): Metric => ({
    key: 'pull-p99',
    label: 'pull p99 after a change (merge + JSON)',
    unit: 'ms',
    value: v,
    better: 'lower',
  });
  const heap = (v: number): Metric => ({
    key: 'heap',
    label: 'heap',
    unit: 'MB',
    value: v,
    better: 'lower',
  });
  const snap = (v: number): Metric => ({
    key: 'snapshot',
    label: 'snapshot',
    unit: 'MB',
    value: v,
    better: 'lower',
  });
  return [
    {
      status: 'ok',
      workload: label,
      system: 'switchboard-core',
      metrics: [
        pull(d.pullP99Ms),
        {
          key: 'pull-p50',
          label: 'pull p50 after a change',
          unit: 'ms',
          value: d.pullP50Ms,
          better: 'lower',
        },
        {
          key: 'push-p99',
          label: 'push p99 (Core.apply)',
          unit: 'µs',
          value: d.pushP99Us,
          better: 'lower',
        },
        {
          key: 'push-p50',
          label: 'push p50 (Core.apply)',
          unit: 'µs',
          value: d.pushP50Us,
          better: 'lower',
        },
        {
          key: 'edge-p50',
          label: 'push body read + zod (route decoder)',
          unit: 'µs',
          value: d.edgeP50Us,
          better: 'lower',
        },
        {
          key: 'edge-p99',
          label: 'push body read + zod p99',
          unit: 'µs',
          value: d.edgeP99Us,
          better: 'lower',
        },
        heap(d.heapMb),
        snap(d.snapshotMb),
        {
          key: 'snapshot-ms',
          label: 'snapshot + pack',
          unit: 'ms',
          value: d.snapshotMs,
          better: 'lower',
        },
        {
          key: 'restore-ms',
          label: 'unpack + restore',
          unit: 'ms',
          value: d.restoreMs,
          better: 'lower',
        },
        {
          key: 'first-pull-restored',
          label: 'first pull after restore',
          unit: 'ms',
          value: d.firstPullAfterRestoreMs,
          better: 'lower',
        },
      ],
      notes: [`${d.distinctHashes.toLocaleString('en-US')} distinct hashes`],
    },
    {
      status: 'ok',
      workload: label,
      system: 'reference-recompute',
      metrics: [
        pull(d.referencePullP99Ms),
        {
          key: 'pull-p50',
          label: 'pull p50 after a change',
          unit: 'ms',
          value: d.referencePullP50Ms,
          better: 'lower',
        },
        heap(d.referenceHeapMb),
        snap(d.referenceSnapshotMb),
      ],
      notes: [
        'snapshot: estimated, one summary packed × agents (hashes as strings, each agent its own)',
      ],
    },
  ];
}

const scenario: Scenario = {
  name: 'switchboard-federation',
  description:
    'Federated summaries, 10,000 agents × 1,000 hashes: pushes/s and pull p99, hub vs recompute-on-pull, over HTTP and in process',
  async run(ctx): Promise<Result[]> {
    const workload = ctx.quick ? QUICK_WORKLOAD : FULL_WORKLOAD;
    const dir = mkdtempSync(join(tmpdir(), 'sb-bench-federation-'));
    const configFile = join(dir, 'switchboard.yaml');
    writeFileSync(configFile, BENCH_CONFIG);
    const results: Result[] = [];
    const hubPulls = ctx.quick ? { quiet: 20, churn: 20 } : { quiet: 100, churn: 100 };
    const refPulls = ctx.quick ? { quiet: 5, churn: 5 } : { quiet: 10, churn: 10 };
    try {
      results.push(
        await httpRun(
          ctx,
          'switchboard-memory',
          workload,
          await hubServer(ctx, false, configFile),
          hubPulls,
        ),
      );
      results.push(
        await httpRun(
          ctx,
          'switchboard-durable',
          workload,
          await hubServer(ctx, true, configFile),
          hubPulls,
        ),
      );
      // The hub as deployed (HUB_NODE_FLAGS) above; here with Node's defaults, to show the flags' share.
      results.push(
        await httpRun(
          ctx,
          'switchboard-durable-node-defaults',
          workload,
          await hubServer(ctx, true, configFile, true),
          hubPulls,
        ),
      );
      results.push(
        await httpRun(ctx, 'reference-recompute', workload, await referenceServer(ctx), refPulls),
      );
      results.push(...(await coreRun(workload, ctx.quick)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return results;
  },
};

export default scenario;
