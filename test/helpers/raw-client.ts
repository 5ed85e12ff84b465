import WebSocket from 'ws';
import { decodeRaw, encodeFrameCopy } from '../../protocol/index.js';

export type AnyFrame = Record<string, unknown> & { t: string };

/** A bare protocol client: send frames (or raw bytes), wait for frames matching a predicate. */
export class RawClient {
  readonly frames: AnyFrame[] = [];
  closeCode: number | undefined;
  closeReason = '';
  private waiters: { pred: (f: AnyFrame) => boolean; resolve: (f: AnyFrame) => void }[] = [];
  private closeWaiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const frame = decodeRaw(data) as AnyFrame;
      this.frames.push(frame);
      this.waiters = this.waiters.filter((w) => {
        if (w.pred(frame)) {
          w.resolve(frame);
          return false;
        }
        return true;
      });
    });
    ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      for (const w of this.closeWaiters) w();
    });
  }

  static async connect(url: string): Promise<RawClient> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new RawClient(ws);
  }

  /** Connect and complete the handshake. */
  static async open(url: string, token?: string): Promise<RawClient> {
    const c = await RawClient.connect(url);
    c.send({ t: 'hello', id: 1, protocol: 1, ...(token ? { token } : {}) });
    await c.next((f) => f.t === 'welcome');
    return c;
  }

  send(frame: object): void {
    this.ws.send(encodeFrameCopy(frame));
  }

  sendBytes(bytes: Uint8Array): void {
    this.ws.send(bytes);
  }

  next(pred: (f: AnyFrame) => boolean, timeoutMs = 5000): Promise<AnyFrame> {
    const seen = this.frames.find(pred);
    if (seen) {
      this.frames.splice(this.frames.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `timed out waiting for a frame; got ${JSON.stringify(this.frames.slice(-5))}`,
            ),
          ),
        timeoutMs,
      );
      this.waiters.push({
        pred,
        resolve: (f) => {
          clearTimeout(timer);
          this.frames.splice(this.frames.indexOf(f), 1);
          resolve(f);
        },
      });
    });
  }

  closed(timeoutMs = 5000): Promise<number> {
    if (this.closeCode !== undefined) return Promise.resolve(this.closeCode);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('connection did not close')), timeoutMs);
      this.closeWaiters.push(() => {
        clearTimeout(timer);
        resolve(this.closeCode!);
      });
    });
  }

  close(): void {
    this.ws.close();
  }

  terminate(): void {
    this.ws.terminate();
  }
}
