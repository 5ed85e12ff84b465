/**
 * Federated summaries inside one process, without HTTP: what the hub's core does per push
 * and per pull, against the reference's approach over the very same summaries, plus what
 * the state costs at that size (heap, snapshot bytes, snapshot and restore time).
 *
 *   - push: `Core.apply(federation.push)`, each of `agents` summaries once (µs each), given
 *     as the HTTP route gives it: the body read by the route's decoder
 *     (server/http/federation-push-body.ts), hex hashes as bytes; that read and the zod
 *     validation after it are timed apart, as "edge";
 *   - pull after a change: one agent re-pushes with new hashes, then the merged view is read
 *     and rendered as the pull's JSON by the route's own code (server/http/federation-pull-json.ts,
 *     which re-renders only the chunks of hashes that changed); the reference recomputes the
 *     merge and renders it;
 *   - snapshot: `core.snapshot()` packed with the snapshot file's msgpack settings, then
 *     unpacked and restored, and the first pull after the restore (a full sort).
 *
 * Run with --expose-gc (the heap figures are after a full collection).
 */
import { Packr } from 'msgpackr';
import { Core, type SummaryInput } from '../../server/core/index.js';
import { federationPushBodySchema } from '../../protocol/federation-api.js';
import { decodePushBody, PackedPushBody } from '../../server/http/federation-push-body.js';
import { pullBody } from '../../server/http/federation-pull-json.js';
import { childMain } from '../lib/child-main.js';
import { FederationWorkloadData, type FederationWorkload } from '../lib/federation-workload.js';
import { summarize } from '../lib/stats.js';

export interface FederationCoreParams {
  workload: FederationWorkload;
  churnPulls: number;
  referencePulls: number;
  newHashesPerChurn: number;
}

export interface FederationCoreOutput {
  pushP50Us: number;
  pushP99Us: number;
  /** Reading and validating the push body (the route's decoder and zod), per push. */
  edgeP50Us: number;
  edgeP99Us: number;
  pullP50Ms: number;
  pullP99Ms: number;
  heapMb: number;
  snapshotMb: number;
  snapshotMs: number;
  restoreMs: number;
  firstPullAfterRestoreMs: number;
  referencePullP50Ms: number;
  referencePullP99Ms: number;
  referenceHeapMb: number;
  /** A snapshot holding each summary's hashes as strings, estimated from one summary. */
  referenceSnapshotMb: number;
  distinctHashes: number;
}

const packr = new Packr({ useRecords: false, moreTypes: false });
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const heapMb = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1e6;
};

/** Copies of the strings, as a push's JSON.parse makes them. */
function fresh(hashes: string[]): string[] {
  return JSON.parse(JSON.stringify(hashes)) as string[];
}

function input(
  data: FederationWorkloadData,
  a: number,
  hashes: string[],
  at: number,
): SummaryInput {
  return {
    agentId: data.agentId(a),
    timestamp: new Date(at).toISOString(),
    at,
    topicCounts: { episodic: hashes.length >> 1, semantic: hashes.length - (hashes.length >> 1) },
    factHashes: hashes,
  };
}

/**
 * A summary as the push route hands it to the core: the JSON body read by the route's
 * decoder, validated by the route's schema (an agent's body, made outside any timing).
 */
function edgeInput(body: Buffer): SummaryInput {
  const decoded = decodePushBody(body, 64);
  if (!(decoded instanceof PackedPushBody)) throw new Error('the fast path did not take the body');
  const { summary: s } = federationPushBodySchema.parse(decoded.json);
  return {
    agentId: s.agent_id,
    timestamp: s.timestamp,
    at: Date.parse(s.timestamp),
    topicCounts: s.topic_counts,
    factHashes: s.fact_hashes,
    packedHashes: decoded.packed,
  };
}

function bodyOf(data: FederationWorkloadData, a: number, hashes: string[], at: number): Buffer {
  return Buffer.from(JSON.stringify({ summary: data.summary(a, hashes, at) }));
}

/** The hub's pull: the merged view rendered by the route's own code (its JSON cache included). */
function hubPull(core: Core): number {
  const f = core.federations.get('bench')!;
  const body = pullBody({ ...f.merged(), lastUpdated: f.newestSummary()?.timestamp }, '');
  let n = 0;
  for (const b of body) n += b.length;
  return n;
}

/** The reference's pull: recompute the merge from every summary, sort, render. */
function referencePull(summaries: Map<string, SummaryInput>): number {
  const topics = new Map<string, number>();
  const hashes = new Set<string>();
  for (const s of summaries.values()) {
    for (const [k, v] of Object.entries(s.topicCounts)) topics.set(k, (topics.get(k) ?? 0) + v);
    for (const h of s.factHashes) hashes.add(h);
  }
  const unique = [...hashes].sort();
  return JSON.stringify({
    merged_topic_counts: Object.fromEntries(topics),
    unique_fact_hashes: unique,
    contributing_agents: summaries.size,
  }).length;
}

async function main(p: FederationCoreParams): Promise<FederationCoreOutput> {
  const data = new FederationWorkloadData(p.workload);
  const at = Date.parse('2026-02-01T12:00:00Z');
  const heap0 = heapMb();

  // --- Switchboard's core
  let core = new Core();
  const pushUs = new Float64Array(p.workload.agents);
  const edgeUs = new Float64Array(p.workload.agents);
  for (let a = 0; a < p.workload.agents; a++) {
    const body = bodyOf(data, a, data.factHashes(a), at + a);
    const t0 = performance.now();
    const summary = edgeInput(body);
    const t1 = performance.now();
    core.apply({ type: 'federation.push', now: at, federation: 'bench', by: 'bench', summary });
    pushUs[a] = (performance.now() - t1) * 1000;
    edgeUs[a] = (t1 - t0) * 1000;
    core.takeEffects();
  }
  const pushes = summarize(pushUs);
  const edge = summarize(edgeUs);
  hubPull(core);
  const heap = heapMb() - heap0;
  const pull = new Float64Array(p.churnPulls);
  for (let i = 0; i < p.churnPulls; i++) {
    const a = (i * 7919) % p.workload.agents;
    const summary = edgeInput(
      bodyOf(data, a, data.churnedHashes(a, i + 1, p.newHashesPerChurn), at),
    );
    core.apply({ type: 'federation.push', now: at, federation: 'bench', by: 'bench', summary });
    core.takeEffects();
    const t0 = performance.now();
    hubPull(core);
    pull[i] = performance.now() - t0;
  }
  const pulls = summarize(pull);
  const distinctHashes = core.federations.get('bench')!.facts.size;

  let t0 = performance.now();
  const bytes = packr.pack(core.snapshot());
  const snapshotMs = performance.now() - t0;
  t0 = performance.now();
  core = Core.restore(packr.unpack(bytes));
  const restoreMs = performance.now() - t0;
  t0 = performance.now();
  hubPull(core);
  const firstPullAfterRestoreMs = performance.now() - t0;
  const snapshotMb = bytes.length / 1e6;
  core = new Core();

  // --- the reference's approach, over the same summaries
  const heap1 = heapMb();
  const summaries = new Map<string, SummaryInput>();
  for (let a = 0; a < p.workload.agents; a++) {
    // Strings of their own, as each push's JSON.parse makes them: a server that keeps the
    // summaries as they came holds every agent's copy of every hash.
    summaries.set(data.agentId(a), input(data, a, fresh(data.factHashes(a)), at + a));
  }
  const referenceHeapMb = heapMb() - heap1;
  const one = packr.pack([...summaries.values()][0]).length;
  const ref = new Float64Array(p.referencePulls);
  for (let i = 0; i < p.referencePulls; i++) {
    const a = (i * 7919) % p.workload.agents;
    summaries.set(
      data.agentId(a),
      input(data, a, fresh(data.churnedHashes(a, i + 1, p.newHashesPerChurn)), at),
    );
    const t1 = performance.now();
    referencePull(summaries);
    ref[i] = performance.now() - t1;
  }
  const refs = summarize(ref);
  return {
    pushP50Us: pushes.p50,
    pushP99Us: pushes.p99,
    edgeP50Us: edge.p50,
    edgeP99Us: edge.p99,
    pullP50Ms: pulls.p50,
    pullP99Ms: pulls.p99,
    heapMb: heap,
    snapshotMb,
    snapshotMs,
    restoreMs,
    firstPullAfterRestoreMs,
    referencePullP50Ms: refs.p50,
    referencePullP99Ms: refs.p99,
    referenceHeapMb,
    referenceSnapshotMb: (one * p.workload.agents) / 1e6,
    distinctHashes,
  };
}

childMain(main);
