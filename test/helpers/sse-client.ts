/** One Server-Sent Event as a client dispatches it. */
export interface SseEvent {
  id: string | undefined;
  event: string;
  data: any;
}

export interface SseClientOptions {
  headers?: Record<string, string>;
  /** The id to resume from on the first connection (sent as `Last-Event-ID`). */
  lastEventId?: string;
  /** Reconnect when the hub ends the stream, as EventSource does (default true). */
  reconnect?: boolean;
}

/**
 * A Server-Sent Events client that behaves like a browser's EventSource: it keeps the last
 * event id it dispatched, and when the hub ends the stream it reconnects after the `retry:`
 * the hub gave, sending that id as `Last-Event-ID`. `drop()` cuts the connection the way a
 * client that dies does; `resume()` comes back.
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  /** Connections opened so far (a reconnect counts). */
  connections = 0;
  lastEventId: string | undefined;
  private retryMs = 1000;
  private ctrl: AbortController | undefined;
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly options: SseClientOptions = {},
  ) {
    this.lastEventId = options.lastEventId;
  }

  /** Messages (`event: message`) received, in order, with their SSE id. */
  get messages(): (SseEvent & { data: { topic: string; data: any; id: string | null } })[] {
    return this.events.filter((e) => e.event === 'message');
  }

  /** Connect; resolves once the first answer is a stream, rejects with its status and body if not. */
  async start(): Promise<void> {
    this.running = true;
    const first = await this.connect();
    this.loop = this.run(first);
  }

  /** Cut the connection without a goodbye, and do not reconnect until `resume()`. */
  async drop(): Promise<void> {
    this.running = false;
    this.ctrl?.abort();
    await this.loop;
  }

  /** Resolves once the client has stopped reading (the stream ended and it does not reconnect). */
  finished(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  resume(): Promise<void> {
    return this.start();
  }

  close(): Promise<void> {
    return this.drop();
  }

  async until(cond: (c: this) => boolean, ms = 10_000): Promise<void> {
    const end = Date.now() + ms;
    while (!cond(this)) {
      if (Date.now() > end)
        throw new Error(`SSE: timed out waiting; ${this.messages.length} messages so far`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private async connect(): Promise<ReadableStreamDefaultReader<Uint8Array>> {
    const ctrl = (this.ctrl = new AbortController());
    const headers: Record<string, string> = { ...this.options.headers };
    if (this.lastEventId !== undefined) headers['last-event-id'] = this.lastEventId;
    const res = await fetch(this.url, { headers, signal: ctrl.signal });
    if (res.status !== 200 || !res.headers.get('content-type')?.startsWith('text/event-stream')) {
      const body = await res.text();
      this.running = false;
      throw Object.assign(new Error(`SSE answered ${res.status}: ${body}`), {
        status: res.status,
        body: body ? JSON.parse(body) : undefined,
      });
    }
    this.connections++;
    return res.body!.getReader();
  }

  private async run(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    for (;;) {
      await this.read(reader);
      if (!this.running || this.options.reconnect === false) return;
      await new Promise((r) => setTimeout(r, this.retryMs));
      if (!this.running) return;
      try {
        reader = await this.connect();
      } catch {
        if (!this.running) return;
        // The hub is away: try again after the retry, like EventSource.
        reader = await this.waitForHub();
        if (!reader) return;
      }
    }
  }

  private async waitForHub(): Promise<ReadableStreamDefaultReader<Uint8Array> | undefined> {
    while (this.running) {
      await new Promise((r) => setTimeout(r, this.retryMs));
      try {
        return await this.connect();
      } catch {
        // still away
      }
    }
    return undefined;
  }

  private async read(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += decoder.decode(value, { stream: true });
        const blocks = buf.split('\n\n');
        buf = blocks.pop()!;
        for (const block of blocks) this.dispatch(block);
      }
    } catch {
      // aborted, or the connection broke: what was dispatched is what the client has
    }
  }

  private dispatch(block: string): void {
    let id: string | undefined;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
    }
    if (id !== undefined) this.lastEventId = id;
    if (data.length === 0) return;
    this.events.push({ id, event, data: JSON.parse(data.join('\n')) });
  }
}
