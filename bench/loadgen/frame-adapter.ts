import type { LoadAdapter, LoadHooks, LoadShape, TaskPayload } from './adapter.js';
import { WsFrameClient, type WireFrame } from './ws-frame-client.js';

/**
 * Clients speaking Switchboard's frames directly (no SDK): used against the bare
 * uWebSockets.js peer and against the hub, so both see byte-identical traffic.
 * Clients of the bare uWebSockets.js peer (bench/peers/bare-uws-server.ts, started by the
 * scenario in its own process; its URL arrives as params.peer.url). One producer connection
 * sending `submit_many` per batch; W worker connections registering with concurrency C,
 * answering each `task` with `complete` carrying the payload as result. Workers connect to
 * `workerUrls` round-robin when given (hubs of one cluster), else to the producer's url.
 */
export class FrameAdapter implements LoadAdapter {
  private producer: WsFrameClient | undefined;
  private workers: WsFrameClient[] = [];

  constructor(
    private readonly url: string,
    readonly system: string,
    private readonly token?: string,
    private readonly workerUrls: readonly string[] = [url],
  ) {}

  async start(hooks: LoadHooks, shape: LoadShape): Promise<void> {
    this.producer = await WsFrameClient.connect(this.url);
    this.producer.onFrame = (f: WireFrame) => {
      if (f.t === 'result') hooks.resultSeen(f.result as TaskPayload);
    };
    await this.producer.request({
      t: 'hello',
      protocol: 1,
      client: 'bench',
      ...(this.token ? { token: this.token } : {}),
    });
    for (let w = 0; w < shape.workers; w++) {
      const worker = await WsFrameClient.connect(this.workerUrls[w % this.workerUrls.length]!);
      worker.onFrame = (f: WireFrame) => {
        if (f.t !== 'task') return;
        const payload = f.payload as TaskPayload;
        hooks.handlerStarted(payload);
        worker.send({ t: 'complete', taskId: f.taskId, attempt: f.attempt, result: payload });
      };
      await worker.request({
        t: 'hello',
        protocol: 1,
        client: 'bench',
        ...(this.token ? { token: this.token } : {}),
      });
      await worker.request({ t: 'register', queues: ['bench'], concurrency: shape.concurrency });
      this.workers.push(worker);
    }
  }

  async submit(batch: readonly TaskPayload[]): Promise<void> {
    await this.producer!.request({
      t: 'submit_many',
      tasks: batch.map((payload) => ({ queue: 'bench', payload })),
    });
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.workers, ...(this.producer ? [this.producer] : [])].map((c) => c.close()),
    );
  }

  async describe(): Promise<Record<string, string>> {
    return {
      server:
        this.system === 'bare-uws'
          ? 'bare uWebSockets.js (no hub logic)'
          : 'switchboard hub, raw msgpack frames',
    };
  }
}
