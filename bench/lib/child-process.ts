import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseChildMessage, type ChildMessage } from './child-messages.js';
import { probeTcp } from './net.js';

/**
 * Parent side of bench children. Every child is a separate `node` process, bounded by a hard
 * timeout after which it is killed (SIGKILL), and talks back with JSON lines on stdout
 * (see child-messages.ts). Its stderr is passed through, prefixed, for progress and errors.
 */
export interface ChildSpec {
  /** Short name for log prefixes, e.g. 'bullmq-loadgen'. */
  readonly label: string;
  /** Executable; default process.execPath (this node). */
  readonly command?: string;
  readonly args: readonly string[];
  readonly timeoutMs: number;
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Pass the child's stderr through to ours. Default true. */
  readonly echoStderr?: boolean;
}

export type ChildOutcome<T> =
  | { readonly kind: 'result'; readonly data: T }
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'failed'; readonly reason: string };

/** Every child still running, so the runner can kill them all on exit. */
const live = new Set<ChildProcess>();

function spawnChild(spec: ChildSpec): ChildProcess {
  const child = spawn(spec.command ?? process.execPath, [...spec.args], {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.on('close', () => live.delete(child));
  if (spec.echoStderr !== false) {
    createInterface({ input: child.stderr! }).on('line', (line) => {
      process.stderr.write(`  [${spec.label}] ${line}\n`);
    });
  } else {
    child.stderr!.resume();
  }
  return child;
}

function onMessages(child: ChildProcess, handler: (msg: ChildMessage) => void): void {
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const msg = parseChildMessage(line);
    if (msg) handler(msg);
  });
}

/**
 * Run a load generator to completion: resolves with its one `result` (or `skip`) message,
 * or `failed` when it exits without one, exits non-zero, or hits the timeout (then killed).
 */
export function runChild<T>(spec: ChildSpec): Promise<ChildOutcome<T>> {
  return new Promise((resolve) => {
    const child = spawnChild(spec);
    let outcome: ChildOutcome<T> | undefined;
    let lastError = '';
    const timer = setTimeout(() => {
      outcome ??= { kind: 'failed', reason: `timed out after ${spec.timeoutMs} ms (killed)` };
      child.kill('SIGKILL');
    }, spec.timeoutMs);
    onMessages(child, (msg) => {
      if (msg.bench === 'result') outcome ??= { kind: 'result', data: msg.data as T };
      else if (msg.bench === 'skip') outcome ??= { kind: 'skip', reason: msg.reason };
      else if (msg.bench === 'error') lastError = msg.message;
    });
    child.on('error', (err) => {
      outcome ??= { kind: 'failed', reason: `could not start: ${err.message}` };
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (outcome) return resolve(outcome);
      const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
      resolve({
        kind: 'failed',
        reason: `${spec.label} ${how}${lastError ? `: ${lastError}` : ''}`,
      });
    });
  });
}

/** How to tell that a server child is ready to accept load. */
export type ReadyCheck =
  /** The child writes `{"bench":"ready",...}` on stdout (bench's own servers). */
  | { readonly kind: 'message' }
  /** A TCP port on 127.0.0.1 accepts connections (any server, e.g. the hub's CLI). */
  | { readonly kind: 'tcp'; readonly port: number };

export interface ServerChild {
  readonly pid: number;
  /** The ready message, when the ready check was 'message'. */
  readonly ready: Extract<ChildMessage, { bench: 'ready' }> | undefined;
  /** SIGTERM, then SIGKILL after graceMs (default 3000). Resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** True once the process has exited (crash, timeout or stop). */
  exited(): boolean;
}

/**
 * Start a long-running server child (a broker or hub under test). It is killed when its
 * timeoutMs elapses even if nobody calls stop(), so a crashed runner never leaves it behind
 * for long; the runner also kills it on exit (see killAllChildren).
 */
export async function startServer(
  spec: ChildSpec & { readonly ready: ReadyCheck; readonly readyTimeoutMs?: number },
): Promise<ServerChild> {
  const child = spawnChild(spec);
  let exited = false;
  let exitReason = '';
  const closed = new Promise<void>((resolve) => {
    child.on('close', (code, signal) => {
      exited = true;
      exitReason = signal ? `killed by ${signal}` : `exited with code ${code}`;
      clearTimeout(hardTimer);
      resolve();
    });
  });
  const hardTimer = setTimeout(() => child.kill('SIGKILL'), spec.timeoutMs);
  let readyMsg: Extract<ChildMessage, { bench: 'ready' }> | undefined;
  let lastError = '';
  const gotMessage = new Promise<void>((resolve) => {
    onMessages(child, (msg) => {
      if (msg.bench === 'ready' && !readyMsg) {
        readyMsg = msg;
        resolve();
      } else if (msg.bench === 'error') lastError = msg.message;
    });
  });
  const readyTimeoutMs = spec.readyTimeoutMs ?? 15_000;
  const deadline = Date.now() + readyTimeoutMs;
  const waitReady =
    spec.ready.kind === 'message'
      ? gotMessage
      : waitForTcp(spec.ready.port, deadline, () => exited);
  const result = await Promise.race([
    waitReady.then(() => 'ready' as const),
    closed.then(() => 'exited' as const),
    sleep(readyTimeoutMs).then(() => 'timeout' as const),
  ]);
  const handle: ServerChild = {
    pid: child.pid ?? -1,
    get ready() {
      return readyMsg;
    },
    exited: () => exited,
    async stop(graceMs = 3000) {
      if (exited) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await closed;
      clearTimeout(t);
    },
  };
  if (result !== 'ready') {
    await handle.stop(500);
    const why = result === 'timeout' ? `not ready within ${readyTimeoutMs} ms` : exitReason;
    throw new Error(`${spec.label}: ${why}${lastError ? `: ${lastError}` : ''}`);
  }
  return handle;
}

/** Kill every bench child still running (the runner calls this on exit and on signals). */
export function killAllChildren(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

async function waitForTcp(port: number, deadline: number, gaveUp: () => boolean): Promise<void> {
  while (Date.now() < deadline && !gaveUp()) {
    if ((await probeTcp('127.0.0.1', port, 500)) === undefined) return;
    await sleep(50);
  }
  return new Promise(() => {}); // never: the race in startServer reports the timeout or exit
}

/** The same server child, with `cleanup` run once it has stopped (temp dirs, logs). */
export function afterStop(child: ServerChild, cleanup: () => void): ServerChild {
  const stop = child.stop.bind(child);
  return {
    ...child,
    pid: child.pid,
    ready: child.ready,
    exited: child.exited,
    async stop(graceMs?: number) {
      await stop(graceMs);
      cleanup();
    },
  };
}
