import { performance } from 'node:perf_hooks';
import { Producer, Worker } from '../../client/index.js';
import { childMain } from '../lib/child-main.js';
import { WsFrameClient, type WireFrame } from './ws-frame-client.js';

/**
 * The SDK's per-task cost against raw frames, in ONE process and one run (issue 18 part 1).
 * The workload users write: a producer submitting one task at a time, `inflight` of them
 * outstanding, each awaiting its own result; `workers` workers of `concurrency` each. It runs
 * twice on the same hub: through Producer/Worker, and as raw msgpack frames (the clients of
 * the raw-frame rows, ws-frame-client.ts), in the order `order` gives.
 *
 *   node dist/bench/loadgen/sdk-single.js --params '{"url":"ws://127.0.0.1:9501/",
 *     "tasks":100000,"warmupTasks":10000,"inflight":256,"workers":4,"concurrency":32,
 *     "order":["sdk","raw"]}'
 *
 * (`order: ["sdk"]` runs one side alone, for a profiler.)
 */
export type Side = 'sdk' | 'raw';

export interface SdkSingleParams {
  readonly url: string;
  readonly tasks: number;
  readonly warmupTasks: number;
  readonly inflight: number;
  readonly workers: number;
  readonly concurrency: number;
  readonly order: readonly Side[];
}

export interface SideOutput {
  readonly tasks: number;
  readonly elapsedMs: number;
  readonly tasksPerSec: number;
  /** CPU of this process during the timed phase, % of one core. */
  readonly cpuPct: number;
  /** CPU of this process per task, µs (producer and workers together). */
  readonly cpuUsPerTask: number;
}

export type SdkSingleOutput = Partial<Record<Side, SideOutput>>;

interface Driver {
  /** Submit one task and resolve once its result is back. */
  one(payload: number): Promise<unknown>;
  stop(): Promise<void>;
}

/** `count` tasks through `one`, `inflight` outstanding at any time. */
async function closedLoop(driver: Driver, count: number, inflight: number): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const r = await driver.one(i);
      if (r !== i) throw new Error(`task ${i} came back as ${String(r)}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inflight, count) }, lane));
}

async function sdkDriver(p: SdkSingleParams): Promise<Driver> {
  const queue = 'bench-sdk-single';
  const workers: Worker[] = [];
  for (let w = 0; w < p.workers; w++) {
    const worker = new Worker(
      { url: p.url, queues: [queue], concurrency: p.concurrency },
      (task) => task.payload,
    );
    await worker.start();
    workers.push(worker);
  }
  const producer = new Producer({ url: p.url, resultCacheSize: 0 });
  await producer.start();
  return {
    async one(payload) {
      const { id } = await producer.submit(queue, payload);
      return producer.result(id);
    },
    async stop() {
      await Promise.all([...workers.map((w) => w.close({ timeoutMs: 100 })), producer.close()]);
    },
  };
}

async function rawDriver(p: SdkSingleParams): Promise<Driver> {
  const queue = 'bench-raw-single';
  const hello = { t: 'hello', protocol: 1, client: 'bench' };
  const workers: WsFrameClient[] = [];
  for (let w = 0; w < p.workers; w++) {
    const worker = await WsFrameClient.connect(p.url);
    worker.onFrame = (f: WireFrame) => {
      if (f.t === 'task')
        worker.send({ t: 'complete', taskId: f.taskId, attempt: f.attempt, result: f.payload });
    };
    await worker.request(hello);
    await worker.request({ t: 'register', queues: [queue], concurrency: p.concurrency });
    workers.push(worker);
  }
  const producer = await WsFrameClient.connect(p.url);
  const waiting = new Map<string, (r: unknown) => void>();
  // A result may, in principle, overtake its submit's reply: keep it until it is asked for.
  const early = new Map<string, unknown>();
  producer.onFrame = (f: WireFrame) => {
    if (f.t !== 'result') return;
    const id = f.taskId as string;
    const w = waiting.get(id);
    if (w) {
      waiting.delete(id);
      w(f.result);
    } else early.set(id, f.result);
  };
  await producer.request(hello);
  return {
    async one(payload) {
      const reply = await producer.request({ t: 'submit', task: { queue, payload } });
      const id = reply.taskId as string;
      if (early.has(id)) {
        const r = early.get(id);
        early.delete(id);
        return r;
      }
      return new Promise((resolve) => waiting.set(id, resolve));
    },
    async stop() {
      await Promise.all([...workers, producer].map((c) => c.close()));
    },
  };
}

async function measure(side: Side, p: SdkSingleParams): Promise<SideOutput> {
  const driver = side === 'sdk' ? await sdkDriver(p) : await rawDriver(p);
  try {
    if (p.warmupTasks > 0) await closedLoop(driver, p.warmupTasks, p.inflight);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await closedLoop(driver, p.tasks, p.inflight);
    const elapsedMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const cpuUs = cpu.user + cpu.system;
    return {
      tasks: p.tasks,
      elapsedMs,
      tasksPerSec: (p.tasks * 1000) / elapsedMs,
      cpuPct: cpuUs / 10 / elapsedMs,
      cpuUsPerTask: cpuUs / p.tasks,
    };
  } finally {
    await driver.stop();
  }
}

childMain<SdkSingleParams, SdkSingleOutput>(async (p) => {
  const out: SdkSingleOutput = {};
  for (const side of p.order) {
    out[side] = await measure(side, p);
    process.stderr.write(`${side}: ${Math.round(out[side].tasksPerSec)} tasks/s\n`);
  }
  return out;
});
