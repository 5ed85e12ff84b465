import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { SignJWT } from 'jose';
import { mintToken, TOKEN_ISSUER } from '../../server/auth/index.js';
import { hubAddress, hubStartArgs, startHubChild, type HubChild } from '../helpers/hub-process.js';
import { RawClient } from '../helpers/raw-client.js';

export const FUZZ_SECRET = 'fuzz-secret-fuzz-secret-fuzz-secret-0001';
/** Queues the fuzzer's tokens and frames use. */
export const FUZZ_QUEUES = ['fz-a', 'fz-b', 'fz-c'] as const;
/** The health probe's own queue: no fuzz token may use it, no fuzz frame names it. */
const PROBE_QUEUE = 'probe-e2e';
/**
 * The frame limit under fuzz. Smaller than the 1 MiB default so that "a string as long as
 * the frame allows" costs milliseconds, not seconds, per frame; the limit logic is the same.
 */
export const FUZZ_MAX_FRAME_BYTES = 64 * 1024;

/** Every kind of caller the fuzzer speaks as; frames from the wrong role come from these. */
export type RoleName =
  | 'admin'
  | 'producer'
  | 'producer-a'
  | 'worker'
  | 'worker-a'
  | 'worker-b'
  | 'worker-b-2'
  | 'expired'
  | 'wrong-secret'
  | 'garbage'
  | 'none';
export const ROLE_NAMES: readonly RoleName[] = [
  'admin',
  'producer',
  'producer-a',
  'worker',
  'worker-a',
  'worker-b',
  'worker-b-2',
  'expired',
  'wrong-secret',
  'garbage',
  'none',
];

export type Tokens = Record<RoleName, string | undefined>;

async function mintFuzzTokens(): Promise<{
  tokens: Tokens;
  probe: { worker: string; producer: string };
}> {
  const fuzzQueues = [...FUZZ_QUEUES];
  const tokens: Tokens = {
    admin: await mintToken(FUZZ_SECRET, { role: 'admin', subject: 'fz-admin' }),
    producer: await mintToken(FUZZ_SECRET, { role: 'producer', queues: fuzzQueues }),
    'producer-a': await mintToken(FUZZ_SECRET, { role: 'producer', queues: ['fz-a'] }),
    worker: await mintToken(FUZZ_SECRET, { role: 'worker', queues: fuzzQueues, subject: 'fz-w' }),
    'worker-a': await mintToken(FUZZ_SECRET, {
      role: 'worker',
      queues: ['fz-a'],
      subject: 'fz-wa',
    }),
    'worker-b': await mintToken(FUZZ_SECRET, {
      role: 'worker',
      queues: ['fz-b'],
      subject: 'fz-wb',
    }),
    // Same queues, other identity: fights worker-b for the same worker ids.
    'worker-b-2': await mintToken(FUZZ_SECRET, {
      role: 'worker',
      queues: ['fz-b'],
      subject: 'fz-wb2',
    }),
    // Well formed and signed with the right secret, but expired an hour ago.
    expired: await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(TOKEN_ISSUER)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(new TextEncoder().encode(FUZZ_SECRET)),
    'wrong-secret': await mintToken('another-secret-another-secret-another-1', { role: 'admin' }),
    garbage: 'eyJhbGciOiJub25lIn0.eyJyb2xlIjoiYWRtaW4ifQ.',
    none: undefined,
  };
  const probe = {
    worker: await mintToken(FUZZ_SECRET, {
      role: 'worker',
      queues: [PROBE_QUEUE],
      subject: 'probe',
    }),
    producer: await mintToken(FUZZ_SECRET, { role: 'producer', queues: [PROBE_QUEUE] }),
  };
  return { tokens, probe };
}

/** What the hub process holds, read from outside it. */
export interface ResourceSample {
  /** V8 heap in use right after a full collection the test asked for (bytes). */
  heapUsed: number;
  /** Resident set size from /proc/<pid>/status (bytes). */
  rss: number;
  /** Open file descriptors: sockets, WAL files, pipes (entries of /proc/<pid>/fd). */
  fds: number;
}

/**
 * A small Chrome DevTools Protocol client for the hub's own inspector (NODE_OPTIONS
 * --inspect on an OS-chosen loopback port): it lets the test force a full GC inside the hub
 * process, so the heap figure is what the hub retains, not what it has yet to collect.
 */
class Inspector {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    (msg: { result?: unknown; error?: unknown }) => void
  >();
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: unknown };
      if (msg.id !== undefined) this.pending.get(msg.id)?.(msg);
      if (msg.id !== undefined) this.pending.delete(msg.id);
    });
  }

  static async connect(url: string): Promise<Inspector> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new Inspector(ws);
  }

  call(method: string, params: object = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`inspector: ${method} timed out`)), 15_000);
      this.pending.set(id, (msg) => {
        clearTimeout(timer);
        if (msg.error) reject(new Error(`inspector: ${method}: ${JSON.stringify(msg.error)}`));
        else resolve(msg.result);
      });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.ws.terminate();
  }
}

export interface FuzzHub {
  child: HubChild;
  pid: number;
  wsUrl: string;
  httpUrl: string;
  tokens: Tokens;
  /** The hub is up, answers /health, and runs a real task end to end on clean connections. */
  probe(): Promise<void>;
  /** Cancel every unfinished task so retained state stays bounded by maxFinished. */
  sweepTasks(): Promise<number>;
  resources(): Promise<ResourceSample>;
  /** Lines the hub logged at error level or above (each is a bug under fuzz). */
  errorLines(): string[];
  stop(): Promise<void>;
}

/**
 * A real hub process (dist/, the production preset: auth on, WAL with fsync) on loopback
 * ports, with its inspector open so the test can measure its heap after a forced GC.
 */
export async function startFuzzHub(transport: 'uws' | 'ws'): Promise<FuzzHub> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-fuzz-'));
  const address = await hubAddress();
  const { wsUrl, httpUrl } = address;
  const child = await startHubChild(
    hubStartArgs({ preset: 'production', dataDir: dir, args: ['--transport', transport] }, address),
    {
      // Replaces whatever loader tap put there: the child runs plain JS from dist/.
      NODE_OPTIONS: '--inspect=127.0.0.1:0',
      SWITCHBOARD_AUTH_SECRET: FUZZ_SECRET,
      SWITCHBOARD_MAX_FRAME_BYTES: String(FUZZ_MAX_FRAME_BYTES),
      // Retained state is bounded by these two; the heap bound relies on it.
      SWITCHBOARD_MAX_FINISHED: '200',
      SWITCHBOARD_RESULT_TTL_MS: '2000',
      SWITCHBOARD_DISCONNECT_GRACE_MS: '200',
      // The test collects garbage itself, at the moments it measures.
      SWITCHBOARD_IDLE_MEMORY_RELEASE_MS: '0',
      // Every error-level line under fuzz is a bug (a handler threw, a session failed).
      SWITCHBOARD_LOG_LEVEL: 'error',
      SWITCHBOARD_LOG_PRETTY: 'false',
    },
    address.httpPort,
  );
  const pid = child.proc.pid!;
  const m = /Debugger listening on (ws:\/\/\S+)/.exec(child.output());
  if (!m) throw new Error(`hub did not open its inspector:\n${child.output()}`);
  const inspector = await Inspector.connect(m[1]!);
  const { tokens, probe: probeTokens } = await mintFuzzTokens();
  let probeN = 0;

  const adminFetch = (p: string, init: RequestInit = {}) =>
    fetch(`${httpUrl}${p}`, {
      ...init,
      headers: {
        authorization: `Bearer ${tokens.admin!}`,
        'content-type': 'application/json',
        ...(init.headers as Record<string, string> | undefined),
      },
      signal: AbortSignal.timeout(10_000),
    });

  const alive = (): void => {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) {
      throw new Error(
        `the hub process exited (code ${child.proc.exitCode}, signal ${child.proc.signalCode}):\n${child.output().slice(-4000)}`,
      );
    }
  };

  return {
    child,
    pid,
    wsUrl,
    httpUrl,
    tokens,
    async probe() {
      alive();
      const health = await fetch(`${httpUrl}/health`, { signal: AbortSignal.timeout(10_000) });
      if (health.status !== 200) throw new Error(`/health answered ${health.status}`);
      await health.arrayBuffer();
      const n = ++probeN;
      const w = await RawClient.open(wsUrl, probeTokens.worker);
      const p = await RawClient.open(wsUrl, probeTokens.producer);
      try {
        w.send({ t: 'register', id: 1, queues: [PROBE_QUEUE], workerId: `probe-${n}` });
        await w.next((f) => f.t === 'registered', 10_000);
        p.send({ t: 'submit', id: 2, task: { queue: PROBE_QUEUE, payload: { probe: n } } });
        const sub = await p.next((f) => f.t === 'submitted', 10_000);
        const task = await w.next((f) => f.t === 'task' && f.taskId === sub.taskId, 10_000);
        if ((task.payload as { probe?: number }).probe !== n)
          throw new Error('probe payload changed');
        w.send({ t: 'complete', id: 3, taskId: task.taskId, attempt: task.attempt, result: { n } });
        const res = await p.next((f) => f.t === 'result' && f.taskId === sub.taskId, 10_000);
        if (res.status !== 'completed' || (res.result as { n?: number }).n !== n) {
          throw new Error(`probe task ended ${JSON.stringify(res)}`);
        }
      } finally {
        w.close();
        p.close();
        await Promise.all([w.closed().catch(() => 0), p.closed().catch(() => 0)]);
      }
      alive();
    },
    async sweepTasks() {
      let cancelled = 0;
      for (const state of ['queued', 'delayed', 'leased']) {
        for (;;) {
          const res = await adminFetch(`/api/v1/tasks?state=${state}&limit=1000`);
          const body = (await res.json()) as { tasks?: { id: string }[] };
          if (res.status !== 200 || !body.tasks) {
            throw new Error(
              `listing ${state} tasks answered ${res.status}: ${JSON.stringify(body)}`,
            );
          }
          if (body.tasks.length === 0) break;
          for (const task of body.tasks) {
            const r = await adminFetch(`/api/v1/tasks/${encodeURIComponent(task.id)}/cancel`, {
              method: 'POST',
              body: '{}',
            });
            await r.arrayBuffer();
            // 409: it finished meanwhile. Anything else means the sweep cannot keep state bounded.
            if (r.status !== 200 && r.status !== 409) {
              throw new Error(`cancelling ${task.id} answered ${r.status}`);
            }
            cancelled++;
          }
        }
      }
      return cancelled;
    },
    async resources() {
      alive();
      await inspector.call('HeapProfiler.collectGarbage');
      const r = (await inspector.call('Runtime.evaluate', {
        expression: 'process.memoryUsage().heapUsed',
        returnByValue: true,
      })) as { result: { value: number } };
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
      return {
        heapUsed: r.result.value,
        rss: rssKb * 1024,
        fds: readdirSync(`/proc/${pid}/fd`).length,
      };
    },
    errorLines() {
      return child
        .output()
        .split('\n')
        .filter((l) => /"level":(50|60)/.test(l));
    },
    async stop() {
      inspector.close();
      child.proc.kill('SIGKILL');
      await child.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
