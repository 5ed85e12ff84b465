import {
  AckPolicy,
  connect,
  RetentionPolicy,
  StorageType,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type NatsConnection,
} from 'nats';
import { SkipError } from '../lib/child-main.js';
import { probeTcp } from '../lib/net.js';
import type { LoadAdapter, LoadHooks, LoadShape, TaskPayload } from './adapter.js';
import { loadgenMain } from './main.js';
import type { LoadgenParams } from './params.js';

/**
 * NATS JetStream on the local server. A work-queue retention stream (file or memory storage,
 * from params.peer.storage) with one durable pull consumer (explicit ack). Each of W workers
 * has its own connection and `consume({ max_messages: C })` with a callback: C is the number
 * of messages a worker holds unacked. The handler publishes the payload on a core NATS
 * subject the producer subscribes to, then acks. The producer publishes each batch with
 * js.publish (one stream ack per message) and awaits all acks of the batch. A unique stream
 * per run, deleted after.
 */
const HOST = '127.0.0.1';
const PORT = 4222;
const enc = new TextEncoder();
const dec = new TextDecoder();

class JetStreamAdapter implements LoadAdapter {
  readonly system: string;
  private readonly storage: StorageType;
  private readonly id = `${process.pid}_${Date.now().toString(36)}`;
  private readonly stream = `bench_${this.id}`;
  private readonly subject = `bench.${this.id}.tasks`;
  private readonly results = `bench.${this.id}.results`;
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private jsm: JetStreamManager | undefined;
  private workerConns: NatsConnection[] = [];
  private consumers: ConsumerMessages[] = [];

  constructor(storage: string) {
    this.storage = storage === 'memory' ? StorageType.Memory : StorageType.File;
    this.system = `jetstream-${storage === 'memory' ? 'memory' : 'file'}`;
  }

  async start(hooks: LoadHooks, shape: LoadShape): Promise<void> {
    const unreachable = await probeTcp(HOST, PORT);
    if (unreachable) throw new SkipError(`NATS ${unreachable}`);
    this.nc = await connect({ servers: `${HOST}:${PORT}` });
    try {
      this.jsm = await this.nc.jetstreamManager();
    } catch (err) {
      throw new SkipError(`NATS at ${HOST}:${PORT} has no JetStream (${(err as Error).message})`);
    }
    this.js = this.nc.jetstream();
    await this.jsm.streams.add({
      name: this.stream,
      subjects: [this.subject],
      retention: RetentionPolicy.Workqueue,
      storage: this.storage,
    });
    await this.jsm.consumers.add(this.stream, {
      durable_name: 'workers',
      ack_policy: AckPolicy.Explicit,
      max_ack_pending: Math.max(1000, shape.workers * shape.concurrency * 2),
    });
    this.nc.subscribe(this.results, {
      callback: (err, msg) => {
        if (!err) hooks.resultSeen(JSON.parse(dec.decode(msg.data)) as TaskPayload);
      },
    });
    await this.nc.flush();
    for (let w = 0; w < shape.workers; w++) {
      const wnc = await connect({ servers: `${HOST}:${PORT}` });
      this.workerConns.push(wnc);
      const consumer = await wnc.jetstream().consumers.get(this.stream, 'workers');
      const messages = await consumer.consume({
        max_messages: shape.concurrency,
        callback: (m) => {
          hooks.handlerStarted(JSON.parse(dec.decode(m.data)) as TaskPayload);
          wnc.publish(this.results, m.data);
          m.ack();
        },
      });
      this.consumers.push(messages);
    }
  }

  async submit(batch: readonly TaskPayload[]): Promise<void> {
    const js = this.js!;
    await Promise.all(batch.map((p) => js.publish(this.subject, enc.encode(JSON.stringify(p)))));
  }

  async stop(): Promise<void> {
    for (const c of this.consumers) c.stop();
    await Promise.all(this.workerConns.map((c) => c.drain().catch(() => {})));
    if (this.jsm) await this.jsm.streams.delete(this.stream).catch(() => false);
    await this.nc?.drain().catch(() => {});
  }

  async describe(): Promise<Record<string, string>> {
    return { server: `nats-server ${this.nc?.info?.version ?? 'unknown'}`, storage: this.system };
  }
}

loadgenMain((p: LoadgenParams) => new JetStreamAdapter(String(p.peer?.storage ?? 'file')));
