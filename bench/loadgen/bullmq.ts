import { Queue, QueueEvents, Worker } from 'bullmq';
import { SkipError } from '../lib/child-main.js';
import { probeTcp } from '../lib/net.js';
import type { LoadAdapter, LoadHooks, LoadShape, TaskPayload } from './adapter.js';
import { loadgenMain } from './main.js';

/**
 * BullMQ on the local Redis. Producer: Queue.addBulk per batch (one MULTI of Lua calls).
 * Workers: W `Worker`s with `concurrency` C, each with its own blocking connection.
 * Results: one QueueEvents reader on the queue's event stream, handling 'completed' (whose
 * returnvalue is the echoed payload). That is the fastest fair way for a producer to see
 * results: Job.waitUntilFinished() rides on the same QueueEvents stream plus a per-job
 * listener and a Redis round trip per job, and reading results straight from the worker
 * callback would bypass Redis, which no real producer in another process could do.
 * Jobs use removeOnComplete (what production users set; keeping 100k completed jobs costs
 * Redis memory and time). The event stream's maxLen is raised above the run's event count so
 * the reader can never miss a trimmed 'completed' event. A unique queue per run, obliterated
 * after.
 */
const HOST = '127.0.0.1';
const PORT = 6379;

class BullmqAdapter implements LoadAdapter {
  readonly system = 'bullmq';
  private readonly name = `bench-${process.pid}-${Date.now().toString(36)}`;
  private readonly connection = { host: HOST, port: PORT, maxRetriesPerRequest: null };
  private queue: Queue | undefined;
  private events: QueueEvents | undefined;
  private workers: Worker[] = [];

  async start(hooks: LoadHooks, shape: LoadShape): Promise<void> {
    const unreachable = await probeTcp(HOST, PORT);
    if (unreachable) throw new SkipError(`Redis ${unreachable}`);
    this.queue = new Queue(this.name, {
      connection: this.connection,
      streams: { events: { maxLen: Math.max(10_000, shape.expectedTasks * 6) } },
      defaultJobOptions: { removeOnComplete: true, removeOnFail: true },
    });
    await this.queue.waitUntilReady();
    this.events = new QueueEvents(this.name, { connection: this.connection });
    this.events.on('completed', ({ returnvalue }) =>
      hooks.resultSeen(returnvalue as unknown as TaskPayload),
    );
    await this.events.waitUntilReady();
    for (let w = 0; w < shape.workers; w++) {
      const worker = new Worker<TaskPayload, TaskPayload>(
        this.name,
        async (job) => {
          hooks.handlerStarted(job.data);
          return job.data;
        },
        { connection: this.connection, concurrency: shape.concurrency },
      );
      this.workers.push(worker);
    }
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
  }

  async submit(batch: readonly TaskPayload[]): Promise<void> {
    await this.queue!.addBulk(batch.map((data) => ({ name: 'noop', data })));
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close(true)));
    await this.events?.close();
    if (this.queue) {
      await this.queue.obliterate({ force: true }).catch(() => {});
      await this.queue.close();
    }
  }

  async describe(): Promise<Record<string, string>> {
    const client = await this.queue!.client;
    const info = await client.info();
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    return { server: `redis ${version}` };
  }
}

loadgenMain(() => new BullmqAdapter());
