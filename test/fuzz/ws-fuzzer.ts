import WebSocket from 'ws';
import { CloseCode, decodeRaw, ErrorCode } from '../../protocol/index.js';
import { ATTEMPT, encodePlain, REF, type Scenario, type Step } from './frame-arbitraries.js';
import type { Tokens } from './fuzz-hub.js';

/** The id of the heartbeat that ends every scenario: its reply says every step was handled. */
const SYNC_ID = 0xffffffff;
/** A scenario's sync reply later than this is a hang (the hub answers heartbeats at once). */
const SYNC_TIMEOUT_MS = 10_000;
const TOKEN = '\u0000token:';

/** Something a user would call a bug, with what caused it. */
export interface Finding {
  kind:
    | 'internal-error'
    | 'close-1011'
    | 'close-1006'
    | 'hang'
    | 'undecodable-reply'
    | 'connect-failed';
  detail: string;
  scenario: string;
}

export interface FuzzStats {
  frames: number;
  scenarios: number;
  closeCodes: Map<number, number>;
  errorCodes: Map<string, number>;
  replies: number;
  /** 1006 after a reset while we were still sending (see playScenario). */
  resetAfterClose: number;
}

export function newStats(): FuzzStats {
  return {
    frames: 0,
    scenarios: 0,
    closeCodes: new Map(),
    errorCodes: new Map(),
    replies: 0,
    resetAfterClose: 0,
  };
}

const bump = <K>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1);

/** Task ids and attempts seen in the hub's replies; REF/ATTEMPT markers resolve to these. */
export class Knowledge {
  private readonly ids: string[] = [];
  private readonly attempts = new Map<string, number>();

  learn(taskId: unknown, attempt?: unknown): void {
    if (typeof taskId !== 'string') return;
    if (!this.attempts.has(taskId)) {
      this.ids.push(taskId);
      if (this.ids.length > 2000) this.attempts.delete(this.ids.shift()!);
    }
    this.attempts.set(
      taskId,
      typeof attempt === 'number' ? attempt : (this.attempts.get(taskId) ?? 1),
    );
  }

  taskId(n: number): string {
    return this.ids.length ? this.ids[n % this.ids.length]! : `t-unknown-${n}`;
  }

  attempt(n: number): number {
    return this.ids.length ? this.attempts.get(this.taskId(n))! : 1;
  }
}

function resolve(value: unknown, k: Knowledge, tokens: Tokens): unknown {
  if (typeof value === 'string') {
    if (value.startsWith(REF)) return k.taskId(Number(value.slice(REF.length)));
    if (value.startsWith(ATTEMPT)) return k.attempt(Number(value.slice(ATTEMPT.length)));
    if (value.startsWith(TOKEN)) return tokens[value.slice(TOKEN.length) as keyof Tokens] ?? '';
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => resolve(v, k, tokens));
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const v = resolve((value as Record<string, unknown>)[key], k, tokens);
      // defineProperty: a "__proto__" key stays a key, as it is on the wire.
      Object.defineProperty(out, key, {
        value: v,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

function stepBytes(step: Step, k: Knowledge, tokens: Tokens): Uint8Array {
  return step.kind === 'bytes' ? step.bytes : encodePlain(resolve(step.frame, k, tokens));
}

function describe(s: Scenario, sent: number): string {
  const steps = s.steps
    .slice(0, sent)
    .map((st, i) => {
      const hex = Buffer.from(st.kind === 'bytes' ? st.bytes : encodePlain(st.frame)).toString(
        'hex',
      );
      return `  #${i} ${st.note}: ${hex.length > 400 ? `${hex.slice(0, 400)}… (${hex.length / 2} bytes)` : hex}`;
    })
    .join('\n');
  return `role=${s.role} opening=${s.opening} leave=${s.leave}\n${steps}`;
}

/**
 * Play one scenario on its own connection: open, maybe hello, every step, then a heartbeat
 * whose reply (or the connection's close) proves the hub handled them all. Replies are
 * checked as they come: INTERNAL errors, close 1011 and undecodable frames are findings.
 */
export async function playScenario(
  url: string,
  s: Scenario,
  tokens: Tokens,
  k: Knowledge,
  stats: FuzzStats,
  findings: Finding[],
): Promise<void> {
  const ws = new WebSocket(url, { maxPayload: 64 * 1024 * 1024 });
  let sent = 0;
  let closed = false;
  let closeCode = 0;
  let syncResolve: (() => void) | undefined;
  let welcomeResolve: ((ok: boolean) => void) | undefined;
  const found = (kind: Finding['kind'], detail: string) =>
    findings.push({ kind, detail, scenario: describe(s, sent) });

  ws.on('message', (data: Buffer) => {
    stats.replies++;
    let f: Record<string, unknown>;
    try {
      f = decodeRaw(data) as Record<string, unknown>;
    } catch (err) {
      found(
        'undecodable-reply',
        `${(err as Error).message}: ${data.toString('hex').slice(0, 200)}`,
      );
      return;
    }
    if (f.t === 'welcome') welcomeResolve?.(true);
    if (f.t === 'error') {
      bump(stats.errorCodes, String(f.code));
      if (f.code === ErrorCode.INTERNAL) found('internal-error', JSON.stringify(f));
    }
    if (f.t === 'submitted') k.learn(f.taskId);
    if (f.t === 'submitted_many' && Array.isArray(f.taskIds))
      for (const id of f.taskIds) k.learn(id);
    if (f.t === 'task') k.learn(f.taskId, f.attempt);
    if (f.id === SYNC_ID) syncResolve?.();
  });
  const closedP = new Promise<void>((r) =>
    ws.on('close', (code) => {
      closed = true;
      closeCode = code;
      welcomeResolve?.(false);
      syncResolve?.();
      r();
    }),
  );
  let reset = false;
  ws.on('error', (err: NodeJS.ErrnoException) => {
    // A reset while we still send: the close handler records what the hub did.
    if (err.code === 'ECONNRESET') reset = true;
  });
  const opened = await new Promise<boolean>((r) => {
    ws.once('open', () => r(true));
    ws.once('error', () => r(false));
  });
  if (!opened) {
    found('connect-failed', 'the hub refused a WebSocket connection');
    return;
  }
  stats.scenarios++;

  const send = (bytes: Uint8Array) => {
    if (closed || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(bytes);
    sent++;
    stats.frames++;
    return true;
  };

  if (s.opening !== 'no-hello') {
    const token = tokens[s.role];
    send(encodePlain({ t: 'hello', id: 1, protocol: 1, ...(token ? { token } : {}) }));
    sent = 0; // the opening hello is not one of the scenario's steps
    if (s.opening === 'hello-wait') {
      await new Promise<boolean>((r) => {
        welcomeResolve = r;
        if (closed) r(false);
      });
    }
  }
  for (const step of s.steps) if (!send(stepBytes(step, k, tokens))) break;

  if (!closed) {
    const synced = new Promise<void>((r) => (syncResolve = r));
    ws.send(encodePlain({ t: 'heartbeat', id: SYNC_ID }));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      synced.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), SYNC_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    if (timedOut) found('hang', `no reply to a heartbeat within ${SYNC_TIMEOUT_MS} ms`);
  }
  let weDropped = false;
  if (!closed) {
    if (s.leave === 'close') ws.close(1000);
    else {
      weDropped = true;
      ws.terminate();
    }
  }
  await closedP;
  bump(stats.closeCodes, closeCode);
  if (closeCode === CloseCode.INTERNAL_ERROR) found('close-1011', `closed 1011 by the hub`);
  // 1006 with no close frame: the hub dropped the TCP connection, unless we did. One case is
  // TCP's, not the hub's: the hub sent its close frame and closed the socket while frames we
  // kept sending were still unread on its side, so its kernel answered with a reset, and
  // Linux discards what a reset socket had not yet read, the close frame included. That shows
  // as ECONNRESET; a connection the hub dropped without closing it ends without one.
  if (closeCode === 1006 && !weDropped) {
    if (reset) stats.resetAfterClose++;
    else found('close-1006', 'the connection dropped without a close frame');
  }
}

/** Run scenarios `concurrency` at a time. */
export async function playAll(
  scenarios: Scenario[],
  concurrency: number,
  play: (s: Scenario) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < scenarios.length) await play(scenarios[next++]!);
    }),
  );
}
