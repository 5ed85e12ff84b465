import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { promisify } from 'node:util';

/**
 * A client that behaves exactly like agmem's (memvcs/core/federated.py, push_updates and
 * pull_merged): the URLs are `coordinator_url + "/push"` and `+ "/pull"`, the push a
 * urllib.request.Request with the JSON envelope and no header but Content-Type, the pull a
 * bare urlopen. The summary is built the way its ClientSummaryBuilder builds one:
 * agent_id "agent-" + 16 hex of a SHA-256 of the repository path, timestamp
 * `datetime.now(timezone.utc).isoformat()`, topic_counts by memory type, fact_hashes as
 * its builder flattens them.
 *
 * With python3 on the machine the requests are made by a real python3 and its urllib (this
 * file's PYTHON); without it, by node:http with the same method, path and headers.
 */
const PYTHON = String.raw`
import json, sys, urllib.request, urllib.error
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

def push(base, summary):
    # As agmem's push_updates: coordinator_url + "/push", only Content-Type.
    summary = dict(summary)
    if summary.get("timestamp") is None:
        summary["timestamp"] = datetime.now(timezone.utc).isoformat()
    req = urllib.request.Request(
        base + "/push",
        data=json.dumps({"summary": summary}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    return answer(lambda: urllib.request.urlopen(req, timeout=30))

def pull(base):
    # As agmem's pull_merged: a bare urlopen of coordinator_url + "/pull".
    return answer(lambda: urllib.request.urlopen(base + "/pull", timeout=30))

def answer(call):
    try:
        with call() as resp:
            return {"status": resp.status, "body": json.loads(resp.read().decode())}
    except urllib.error.HTTPError as e:
        return {"status": e.code, "body": json.loads(e.read().decode() or "null")}

ops = json.load(sys.stdin)
def run(op):
    return push(op["base"], op["summary"]) if op["op"] == "push" else pull(op["base"])
with ThreadPoolExecutor(max_workers=16) as pool:
    print(json.dumps(list(pool.map(run, ops))))
`;

export interface AgmemAnswer {
  status: number;
  // The tests read whichever fields the coordinator answers with.
  body: any;
}

export type AgmemOp =
  { op: 'push'; base: string; summary: AgmemSummary } | { op: 'pull'; base: string };

export interface AgmemSummary {
  agent_id: string;
  /** Absent: the client's own clock, as agmem writes it. */
  timestamp?: string;
  topic_counts: Record<string, number>;
  fact_hashes: string[];
}

export const hasPython =
  spawnSync('python3', ['-c', 'import urllib.request'], { stdio: 'ignore' }).status === 0;

/** agmem's agent id for a repository path. */
export function agmemAgentId(repoPath: string): string {
  return `agent-${createHash('sha256').update(repoPath).digest('hex').slice(0, 16)}`;
}

/** A summary as agmem's builder makes one from a repository with these memory files. */
export function agmemSummary(repoPath: string, memory: Record<string, string[]>): AgmemSummary {
  const topic_counts: Record<string, number> = {};
  const fact_hashes: string[] = [];
  for (const [type, facts] of Object.entries(memory)) {
    topic_counts[type] = facts.length;
    fact_hashes.push(...facts.map((f) => createHash('sha256').update(f).digest('hex')));
  }
  return { agent_id: agmemAgentId(repoPath), topic_counts, fact_hashes };
}

const run = promisify(execFile);

/** Run the operations (concurrently, 16 at a time, as separate agmem processes would). */
export async function agmem(ops: AgmemOp[]): Promise<AgmemAnswer[]> {
  if (hasPython) {
    const child = run('python3', ['-c', PYTHON], { timeout: 60_000, maxBuffer: 64 << 20 });
    child.child.stdin!.end(JSON.stringify(ops));
    const { stdout } = await child;
    return JSON.parse(stdout) as AgmemAnswer[];
  }
  const out: AgmemAnswer[] = new Array(ops.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ops.length) {
      const i = next++;
      out[i] = await nodeRequest(ops[i]!);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return out;
}

/** The same request with node:http: the method, the path, Content-Type and nothing else. */
function nodeRequest(op: AgmemOp): Promise<AgmemAnswer> {
  const url = new URL(`${op.base}/${op.op}`);
  const body =
    op.op === 'push'
      ? JSON.stringify({
          summary: { ...op.summary, timestamp: op.summary.timestamp ?? pythonIsoNow() },
        })
      : undefined;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: op.op === 'push' ? 'POST' : 'GET',
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () =>
          resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : null }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** `datetime.now(timezone.utc).isoformat()`: microseconds and +00:00. */
function pythonIsoNow(): string {
  return new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00');
}
