import { Worker } from 'node:worker_threads';
import type { Redis, RedisOptions } from 'ioredis';
import { plainRedisTarget } from './redis-connection.js';
import type { LeaseThreadReply, LeaseThreadRequest } from './redis-lease-slot.js';

type HoldRequest = Omit<Extract<LeaseThreadRequest, { type: 'hold' }>, 'type' | 'id'>;

export interface ThreadRenewal {
  /** The thread renews from now on (it has started). */
  readonly active: Promise<void>;
  drop(): void;
}

/**
 * The one lease renewal thread of a process (redis-lease-worker.ts), started on first use
 * and kept: where sources are compiled on load (the tests) a thread takes seconds to start,
 * during which the lease keeps renewing on the main thread. It does not keep the process
 * alive.
 */
class LeaseThread {
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private nextId = 1;
  private readonly listeners = new Map<number, (reply: LeaseThreadReply) => void>();

  hold(request: HoldRequest, onReply: (reply: LeaseThreadReply) => void): ThreadRenewal {
    const id = this.nextId++;
    this.listeners.set(id, onReply);
    let dropped = false;
    const active = this.start().then(() => {
      if (dropped) return;
      this.post({ type: 'hold', id, ...request });
    });
    return {
      active,
      drop: () => {
        dropped = true;
        this.listeners.delete(id);
        if (this.worker) this.post({ type: 'drop', id });
      },
    };
  }

  /** Start the thread now, and its connection to `target`, so a later hold() renews at once. */
  warm(target: string | RedisOptions): void {
    this.start().then(
      () => this.post({ type: 'connect', target }),
      () => undefined,
    );
  }

  private post(msg: LeaseThreadRequest): void {
    this.worker?.postMessage(msg);
  }

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    // Same extension as this module: .js from dist, .ts when tests run the sources.
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    const worker = new Worker(new URL(`./redis-lease-worker${ext}`, import.meta.url));
    worker.unref();
    this.worker = worker;
    this.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (msg: LeaseThreadReply) => {
        if (msg.type === 'ready') resolve();
        else this.listeners.get(msg.id)?.(msg);
      });
      const gone = (err: Error): void => {
        if (this.worker !== worker) return;
        // Leases fall back to renewing on the main thread; a later lease starts a new thread.
        this.worker = undefined;
        this.ready = undefined;
        reject(err);
      };
      worker.on('error', gone);
      worker.on('exit', (code) => gone(new Error(`lease renewal thread exited with code ${code}`)));
    });
    return this.ready;
  }

  /** Let the thread exit (its leases then renew on the main thread, if still held). */
  async shutdown(ms = 3000): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    this.ready = undefined;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ type: 'stop' } satisfies LeaseThreadRequest);
    const timer = setTimeout(() => void worker.terminate(), ms);
    await exited;
    clearTimeout(timer);
  }
}

const thread = new LeaseThread();

/** Renew a lease in the renewal thread, on a connection of the thread's own to `target`. */
export function renewInThread(
  request: HoldRequest & { target: string | RedisOptions },
  onReply: (reply: LeaseThreadReply) => void,
): ThreadRenewal {
  return thread.hold(request, onReply);
}

/**
 * Start the renewal thread ahead of need. A hub that may take over a cluster's lease starts
 * it while it is still an edge: started only at the takeover, the thread is not renewing
 * yet while the main thread is busiest (decoding the snapshot, replaying the log), and a
 * lease of a second or two can expire right there, handing the cluster on again. The
 * thread's connection to Redis is opened now too (to where `leaseConnection` goes, the
 * connection leases will be taken on): its first renewal must not wait for a connect.
 */
export function warmLeaseThread(leaseConnection: Redis): void {
  // The target as RedisLease derives it from the same connection: the thread keeps one
  // connection per target, so this is the one the lease's renewals will use.
  let target;
  try {
    target = plainRedisTarget(leaseConnection);
  } catch {
    return;
  }
  thread.warm(target);
}

/** At process stop (and by tests that own the process): let the renewal thread exit. */
export function stopLeaseThread(): Promise<void> {
  return thread.shutdown();
}
