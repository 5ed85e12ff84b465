/**
 * Load generator for federated summaries over HTTP, the way agmem clients talk to a
 * coordinator: `POST {base}/push` with one agent's summary, `GET {base}/pull`. Against any
 * coordinator (the hub, or the reference's approach in bench/peers/):
 *
 *   1. every agent pushes once, `concurrency` at a time: pushes/s, push latency, the
 *      server's CPU per push (/proc of its pid);
 *   2. the first pull after that load;
 *   3. `quietPulls` pulls with nothing changed in between;
 *   4. `churnPulls` pulls each right after one agent re-pushed a summary with
 *      `newHashesPerChurn` hashes nobody had: the merge must change every time.
 *
 * A pull is timed from the request to its last byte (the JSON is not parsed, except the
 * last one, to check the answer).
 */
import { Agent, request } from 'node:http';
import { childMain } from '../lib/child-main.js';
import { FederationWorkloadData, type FederationWorkload } from '../lib/federation-workload.js';
import { readCpuMs, readRssBytes, readThreadCpuMs } from '../lib/proc-stats.js';
import { summarize } from '../lib/stats.js';

export interface FederationHttpParams {
  base: string;
  serverPid: number;
  workload: FederationWorkload;
  concurrency: number;
  quietPulls: number;
  churnPulls: number;
  newHashesPerChurn: number;
}

export interface FederationHttpOutput {
  pushesPerSec: number;
  pushP50Ms: number;
  pushP99Ms: number;
  serverCpuMsPerPush: number;
  serverUserMsPerPush: number;
  serverSystemMsPerPush: number;
  /** Of it on the hub's main thread (its event loop). */
  serverMainThreadMsPerPush: number;
  firstPullMs: number;
  quietPullP50Ms: number;
  quietPullP99Ms: number;
  churnPullP50Ms: number;
  churnPullP99Ms: number;
  pullBytes: number;
  distinctHashes: number;
  agents: number;
  serverRssMb: number;
  /** Requests sent again after a reset of a kept-alive socket. */
  resets: number;
}

/**
 * A request, sent again once if a kept-alive socket turned out closed under it (the server
 * closes idle ones after 5 s; reusing one as it closes is a reset, not an answer). Both
 * requests are idempotent: a push replaces the agent's summary with the same one.
 */
async function call(
  agent: Agent,
  url: URL,
  method: string,
  body?: string,
  keepText = method === 'POST',
): Promise<{ status: number; bytes: number; text?: string; ms: number }> {
  try {
    return await callOnce(agent, url, method, body, keepText);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ECONNRESET' && code !== 'EPIPE') throw err;
    resets++;
    return callOnce(agent, url, method, body, keepText);
  }
}
let resets = 0;

function callOnce(
  agent: Agent,
  url: URL,
  method: string,
  body: string | undefined,
  /** Keep the answer's text (always for a push: its refusal is reported). */
  keepText: boolean,
): Promise<{ status: number; bytes: number; text?: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        agent,
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        let bytes = 0;
        const keep: Buffer[] = [];
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          if (keepText) keep.push(c);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            bytes,
            ...(keep.length ? { text: Buffer.concat(keep).toString('utf8') } : {}),
            ms: performance.now() - t0,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function main(p: FederationHttpParams): Promise<FederationHttpOutput> {
  const data = new FederationWorkloadData(p.workload);
  const agent = new Agent({ keepAlive: true, maxSockets: p.concurrency });
  const push = new URL(`${p.base}/push`);
  const pull = new URL(`${p.base}/pull`);
  const at = Date.parse('2026-02-01T12:00:00Z');

  const pushOne = async (a: number, hashes: string[], when: number): Promise<number> => {
    const r = await call(
      agent,
      push,
      'POST',
      JSON.stringify({ summary: data.summary(a, hashes, when) }),
    );
    if (r.status !== 200) throw new Error(`push of agent ${a}: ${r.status} ${r.text ?? ''}`);
    return r.ms;
  };

  const pushMs = new Float64Array(p.workload.agents);
  const cpu0 = readCpuMs(p.serverPid);
  const main0 = readThreadCpuMs(p.serverPid);
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: p.concurrency }, async () => {
      while (next < p.workload.agents) {
        const a = next++;
        pushMs[a] = await pushOne(a, data.factHashes(a), at + a);
      }
    }),
  );
  const loadS = (performance.now() - t0) / 1000;
  const cpu1 = readCpuMs(p.serverPid);
  const main1 = readThreadCpuMs(p.serverPid);
  const pushes = summarize(pushMs);

  const first = await call(agent, pull, 'GET');
  const quiet = new Float64Array(p.quietPulls);
  for (let i = 0; i < p.quietPulls; i++) quiet[i] = (await call(agent, pull, 'GET')).ms;
  const churn = new Float64Array(p.churnPulls);
  for (let i = 0; i < p.churnPulls; i++) {
    const a = (i * 7919) % p.workload.agents;
    await pushOne(a, data.churnedHashes(a, i + 1, p.newHashesPerChurn), at + p.workload.agents + i);
    churn[i] = (await call(agent, pull, 'GET')).ms;
  }
  const last = await call(agent, pull, 'GET', undefined, true);
  const merged = JSON.parse(last.text!) as {
    contributing_agents: number;
    metadata: { total_facts: number };
  };
  if (merged.contributing_agents !== p.workload.agents)
    throw new Error(`pull says ${merged.contributing_agents} agents, not ${p.workload.agents}`);
  const q = summarize(quiet);
  const c = summarize(churn);
  agent.destroy();
  return {
    pushesPerSec: p.workload.agents / loadS,
    pushP50Ms: pushes.p50,
    pushP99Ms: pushes.p99,
    serverCpuMsPerPush: (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / p.workload.agents,
    // Split, because a durable push's system time is the kernel writing and syncing its record.
    serverUserMsPerPush: (cpu1.user - cpu0.user) / p.workload.agents,
    serverSystemMsPerPush: (cpu1.system - cpu0.system) / p.workload.agents,
    serverMainThreadMsPerPush:
      (main1.user + main1.system - main0.user - main0.system) / p.workload.agents,
    firstPullMs: first.ms,
    quietPullP50Ms: q.p50,
    quietPullP99Ms: q.p99,
    churnPullP50Ms: c.p50,
    churnPullP99Ms: c.p99,
    pullBytes: last.bytes,
    distinctHashes: merged.metadata.total_facts,
    agents: merged.contributing_agents,
    serverRssMb: readRssBytes(p.serverPid) / 1e6,
    resets,
  };
}

childMain(main);
