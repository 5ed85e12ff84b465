/**
 * One shared connection to GET /api/v1/events, read with fetch streaming because EventSource
 * cannot send the Authorization header (and the token must not go into the URL). It resumes
 * with Last-Event-ID after a drop, backing off up to 10 s, and calls itself stale when
 * nothing (not even the hub's 15 s keepalive) arrived for 20 s.
 */
import { authHeaders } from './api-client.js';
import { SseParser } from './sse-parser.js';

export interface HubEvent {
  id: number;
  type: string;
  at: number;
  queue?: string;
  taskId?: string;
  workerId?: string;
  attempt?: number;
  error?: { code: string; message: string };
  data?: Record<string, unknown>;
}

export type Liveness = 'off' | 'connecting' | 'live' | 'stale';
const STALE_MS = 20_000;

type Listener<T> = (v: T) => void;

export class EventStream {
  private listeners = new Set<Listener<HubEvent>>();
  private stateListeners = new Set<Listener<Liveness>>();
  private abort: AbortController | undefined;
  private lastId: string | undefined;
  private lastByteAt = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private retryMs = 1000;
  state: Liveness = 'off';

  /** `fromStart`: begin with what the hub's buffer still holds (a task's history). */
  constructor(
    private readonly path = '/api/v1/events',
    fromStart = false,
  ) {
    if (fromStart) this.lastId = '0';
  }

  subscribe(f: Listener<HubEvent>): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }
  onState(f: Listener<Liveness>): () => void {
    this.stateListeners.add(f);
    f(this.state);
    return () => this.stateListeners.delete(f);
  }
  private set(s: Liveness): void {
    if (s === this.state) return;
    this.state = s;
    for (const f of this.stateListeners) f(s);
  }

  start(): void {
    if (this.abort) return;
    this.abort = new AbortController();
    this.timer = setInterval(() => {
      if (this.state === 'live' && Date.now() - this.lastByteAt > STALE_MS) this.set('stale');
    }, 2000);
    void this.loop(this.abort.signal);
  }

  stop(): void {
    this.abort?.abort();
    this.abort = undefined;
    clearInterval(this.timer);
    this.set('off');
  }

  private async loop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (this.state === 'off') this.set('connecting');
      try {
        await this.once(signal);
      } catch {
        // dropped or refused: try again below
      }
      if (signal.aborted) return;
      this.set('stale');
      await new Promise((r) => setTimeout(r, this.retryMs));
      this.retryMs = Math.min(this.retryMs * 2, 10_000);
    }
  }

  private async once(signal: AbortSignal): Promise<void> {
    const headers: Record<string, string> = { ...authHeaders(), accept: 'text/event-stream' };
    if (this.lastId !== undefined) headers['last-event-id'] = this.lastId;
    const res = await fetch(this.path, { headers, cache: 'no-store', signal });
    if (!res.ok || !res.body) throw new Error(`event stream: HTTP ${res.status}`);
    const parser = new SseParser((type, data, id) => {
      if (id !== undefined) this.lastId = id;
      try {
        const e = JSON.parse(data) as HubEvent;
        for (const f of this.listeners) f({ ...e, type });
      } catch {
        // a line that is not JSON is not an event we know
      }
    });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      this.lastByteAt = Date.now();
      this.retryMs = 1000;
      this.set('live');
      parser.push(value);
    }
  }
}

/** The dashboard's one stream, started on sign-in for tokens that may read it. */
export const events = new EventStream();
