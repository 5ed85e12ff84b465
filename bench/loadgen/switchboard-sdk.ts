import { Producer, Worker } from '../../client/index.js';
import type { LoadAdapter, LoadHooks, LoadShape, TaskPayload } from './adapter.js';
import { loadgenMain } from './main.js';
import type { LoadgenParams } from './params.js';

/** The hub through the SDK users would use: Producer.submitMany and Worker handlers. */
class SdkAdapter implements LoadAdapter {
  readonly system = 'switchboard-sdk';
  private producer: Producer | undefined;
  private workers: Worker[] = [];

  constructor(private readonly url: string) {}

  async start(hooks: LoadHooks, shape: LoadShape): Promise<void> {
    this.producer = new Producer({ url: this.url, resultCacheSize: 0 });
    this.producer.on('result', (r) => {
      if (r.status === 'completed') hooks.resultSeen(r.result as TaskPayload);
    });
    await this.producer.start();
    for (let w = 0; w < shape.workers; w++) {
      const worker = new Worker(
        { url: this.url, queues: ['bench'], concurrency: shape.concurrency },
        (task) => {
          const payload = task.payload as TaskPayload;
          hooks.handlerStarted(payload);
          return payload;
        },
      );
      await worker.start();
      this.workers.push(worker);
    }
  }

  async submit(batch: readonly TaskPayload[]): Promise<void> {
    await this.producer!.submitMany(batch.map((payload) => ({ queue: 'bench', payload })));
  }

  async stop(): Promise<void> {
    await Promise.all([
      ...this.workers.map((w) => w.close({ timeoutMs: 100 })),
      this.producer?.close(),
    ]);
  }

  async describe(): Promise<Record<string, string>> {
    return { server: 'switchboard hub via the SDK' };
  }
}

loadgenMain((p: LoadgenParams) => new SdkAdapter(String(p.peer?.url)));
