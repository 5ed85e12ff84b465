/**
 * The store contract: what every persistence engine behind `Store` (server/store/store.ts,
 * `HubStore` in server/hub/hub-store.ts) promises the hub, as one suite each engine runs
 * (test/store/<engine>.contract.test.ts). An engine says what it is through capability
 * flags; a flag switches a promise to its counterpart (a store without a journal must
 * recover no records), never to "not tested".
 *
 * Records are driven through the real core (Core.apply, takeEffects().journal) wherever the
 * recovered state is checked, and recovered state is compared as the core sees it
 * (Core.restore + apply, then core.snapshot()).
 */
import { copyFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Test } from 'tap';
import fc from 'fast-check';
import { Core, DIRECTLY_DURABLE, type Command, type TaskSpec } from '../../server/core/index.js';
import type { Recovered, Store } from '../../server/store/index.js';

export interface StoreCapabilities {
  /**
   * When onDurable may report a record durable. `at-once`: on append (nothing waits for
   * disk). `after-write`: once the engine's write of it returned (a process crash loses
   * nothing reported). `after-fsync`: once an fsync covering it returned (stats().fsyncs
   * counts them; a power cut loses nothing reported).
   */
  durable: 'at-once' | 'after-write' | 'after-fsync';
  /**
   * open() returns, in order, every record appended and reported durable before close() or
   * a crash (a log). Without it open() returns no records at all.
   */
  journal: boolean;
  /**
   * The engine takes the hub's state through setStateProvider and writes it periodically and
   * at close(); open() returns the last state it wrote. Without it setStateProvider is absent.
   */
  stateSnapshots: boolean;
  /**
   * setStateProvider is present: the engine is handed the hub's state (snapshot mode writes
   * it; the WAL compacts from it while it is small). CoreDriver hands it over as the hub does.
   */
  takesState: boolean;
  /** compactNow() folds the log into a snapshot; the harness exposes it as `compact`. */
  compaction: boolean;
  /**
   * prepare() encodes ahead, so a record the engine could not write is refused before the
   * core changes anything. Without it the engine encodes nothing and every record appends.
   */
  prepare: boolean;
  /**
   * One open store per data location: a second open() is refused while the first is open,
   * with `lockedCode` (default STORE_LOCKED; the Redis engine's lease says ENGINE_LEASE_HELD).
   */
  exclusive: boolean;
  lockedCode?: string;
  /**
   * The engine's storage can fail, and the harness can make it (`breakStorage`). Without it
   * onFatal never fires.
   */
  faults: boolean;
}

export interface StoreHarness<S extends Store = Store> {
  readonly capabilities: StoreCapabilities;
  /** A new, unopened store over this harness's data: the same data every time, as after a restart. */
  make(): S;
  /**
   * The process holding `store` dies now. Afterwards make() opens exactly what the crash
   * left behind. `tear` in [0, 1) says where, within the bytes not yet covered by an fsync,
   * the power cut stopped the disk (engines with no such bytes ignore it). `store` is not
   * used again by the contract.
   */
  crash(store: S, tear?: number): Promise<void>;
  /** compaction: fold what is logged so far into a snapshot; resolves when done. */
  compact?(store: S): Promise<void>;
  /** faults: make the storage under an open store fail, so its next write is lost. */
  breakStorage?(store: S): void;
}

export type StoreFactory<S extends Store = Store> = (t: Test) => StoreHarness<S>;

/**
 * Options for the core, the same live and in replay so both decide alike. An engine that
 * replays records itself (compaction) is given them, as the hub gives it the live core's.
 */
export const CORE_OPTIONS = {
  defaultBackoff: { type: 'fixed' as const, delayMs: 10 },
  heartbeatTimeoutMs: 1000,
  disconnectGraceMs: 500,
  httpLeaseTimeoutMs: 800,
};

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the error onDurable reported, or undefined once `seq` is durable. */
export function durable(store: Store, seq: number): Promise<Error | undefined> {
  return new Promise((resolve) => store.onDurable(seq, (err) => resolve(err)));
}

/** JSON with sorted keys, absent = undefined = null, so an encoded round trip compares equal. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v ?? undefined;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined && x !== null) out[k] = x;
    }
    return out;
  });
}

/** The state a core holds after `snapshot` then `records`, as comparable text. */
export function replayedState(snapshot: unknown, records: Iterable<object>): string {
  const core = Core.restore(snapshot, CORE_OPTIONS);
  for (const r of records) core.apply(r as Command);
  core.takeEffects();
  return coreState(core);
}

/**
 * A core's durable state as text. Not state: the order tasks iterate in (a restored table
 * has its own), the per-process generation counter (restored tasks start at 0), and the
 * order queues are listed in (a restored core creates them in snapshot order); the order
 * within each queue is state and is kept.
 */
export function coreState(core: Core): string {
  const s = core.snapshot();
  const queueOf = new Map(s.tasks.map((x) => [x.id, x.queue]));
  const byQueue = (a: string, b: string): number => {
    const qa = queueOf.get(a) ?? '';
    const qb = queueOf.get(b) ?? '';
    return qa < qb ? -1 : qa > qb ? 1 : 0;
  };
  return canonical({
    ...s,
    tasks: [...s.tasks].sort((a, b) => (a.id < b.id ? -1 : 1)).map((x) => ({ ...x, gen: 0 })),
    queued: [...s.queued].sort(byQueue),
  });
}

/**
 * A real core feeding a store the way the hub does (Hub.execute): prepare the command if
 * it is durable, apply it, append what it journaled.
 */
export class CoreDriver {
  readonly core = new Core(CORE_OPTIONS);
  readonly journal: object[] = [];
  now = 1_000;
  private n = 0;

  /** Hands the store this core's state, as the hub does once it has recovered. */
  constructor(private readonly store: Store) {
    store.setStateProvider?.(
      () => this.core.snapshot(),
      () => this.core.snapshotWeight(),
    );
  }

  run(cmd: Command): void {
    if (this.store.prepare !== undefined && DIRECTLY_DURABLE.has(cmd.type)) this.store.prepare(cmd);
    this.core.apply(cmd);
    for (const record of this.core.takeEffects().journal) {
      const seq = this.store.append(record);
      if (seq !== this.journal.length + 1)
        throw new Error(`append returned ${seq}, expected ${this.journal.length + 1}`);
      this.journal.push(record);
    }
  }

  get seq(): number {
    return this.journal.length;
  }

  register(w: string, concurrency: number, gpu = false): void {
    this.run({
      type: 'worker.register',
      now: this.now,
      workerId: w,
      kind: 'ws',
      session: `s${this.n++}`,
      queues: ['a', 'b'],
      capabilities: gpu ? ['gpu'] : [],
      concurrency,
    });
  }

  submit(spec: Partial<TaskSpec> = {}): void {
    this.run({
      type: 'task.submit',
      now: this.now,
      tasks: [{ id: `t${this.n++}`, spec: { queue: 'a', payload: { n: this.n }, ...spec } }],
    });
  }

  /** Finish the `i`-th leased task (modulo), if any: complete, or fail (retryable or not). */
  finish(i: number, how: 'complete' | 'retry' | 'fail'): void {
    const leased = [...this.core.tasks.values()].filter((x) => x.state === 'leased');
    const task = leased[i % Math.max(1, leased.length)];
    if (!task) return;
    const base = {
      now: this.now,
      taskId: task.id,
      workerId: task.workerId!,
      attempt: task.attempt,
    };
    if (how === 'complete') this.run({ type: 'task.complete', ...base, result: { ok: task.id } });
    else
      this.run({
        type: 'task.fail',
        ...base,
        error: { code: 'E', message: 'boom' },
        retryable: how === 'retry',
      });
  }

  cancel(i: number): void {
    const ids = [...this.core.tasks.keys()];
    const id = ids[i % Math.max(1, ids.length)];
    if (id) this.run({ type: 'task.cancel', now: this.now, taskId: id });
  }

  /**
   * One `task.bulk` on queue `a` or `b` (by `i`), naming tasks the way the gateway picks
   * them (cancel: unfinished; retry: dead; purge: finished), plus one it passes over (a
   * task of the other queue), so the record holds ids the core must skip on replay too.
   */
  bulk(i: number, action: 'cancel' | 'retry' | 'purge'): void {
    const queue = i % 2 ? 'a' : 'b';
    const takes = (state: string): boolean =>
      action === 'retry'
        ? state === 'dead'
        : action === 'purge'
          ? ['completed', 'dead', 'cancelled', 'expired'].includes(state)
          : !['completed', 'dead', 'cancelled', 'expired'].includes(state);
    const all = [...this.core.tasks.values()];
    const taskIds = all
      .filter((x) => x.queue === queue && takes(x.state))
      .slice(0, 1 + (i % 4))
      .map((x) => x.id);
    const stranger = all.find((x) => x.queue !== queue);
    if (stranger) taskIds.push(stranger.id);
    this.run({ type: 'task.bulk', now: this.now, queue, action, taskIds });
  }

  /**
   * Schedule `s<i>` (every 100 ms onto queue a): create it, or pause, resume or remove it
   * if it exists. Ticks then fire it: each fire and its task are one journaled record.
   */
  schedule(i: number, op: 'create' | 'pause' | 'resume' | 'remove'): void {
    const name = `s${i}`;
    const exists = this.core.schedules.byName.has(name);
    if (op === 'create' || !exists) {
      if (!exists)
        this.run({
          type: 'schedule.create',
          now: this.now,
          id: `sch${this.n++}`,
          name,
          everyMs: 100,
          missed: i % 2 ? 'skip' : 'run-once',
          task: { queue: 'a', payload: { schedule: name } },
        });
      return;
    }
    const type =
      op === 'pause' ? 'schedule.pause' : op === 'resume' ? 'schedule.resume' : 'schedule.remove';
    this.run({ type, now: this.now, name });
  }

  disconnect(w: string): void {
    if (this.core.workers.has(w))
      this.run({ type: 'worker.disconnect', now: this.now, workerId: w });
  }

  advance(ms: number): void {
    this.now += ms;
    this.run({ type: 'tick', now: this.now });
  }

  /**
   * A fixed, varied history: leases, completions, retries, dead letters, a cancel, bulk
   * retries, purges and cancels, a pause.
   */
  scripted(rounds = 40): void {
    this.register('w1', 3, true);
    this.register('w2', 1);
    for (let i = 0; i < rounds; i++) {
      this.submit({
        queue: i % 2 ? 'a' : 'b',
        priority: (['normal', 'high', 'low', 'critical'] as const)[i % 4],
        ...(i % 5 === 0 ? { requires: ['gpu'] } : {}),
        ...(i % 7 === 0 ? { delayMs: 30 } : {}),
        ...(i % 3 === 0 ? { maxAttempts: 2 } : {}),
      });
      this.finish(i, i % 4 === 0 ? 'retry' : i % 9 === 0 ? 'fail' : 'complete');
      if (i % 6 === 0) this.advance(25);
      if (i === 20) this.cancel(3);
      if (i === 25) this.disconnect('w2');
      if (i % 10 === 2) this.bulk(i, 'retry');
      if (i % 10 === 5) this.bulk(i, 'purge');
      if (i % 10 === 8) this.bulk(i, 'cancel');
    }
    this.run({ type: 'queue.pause', now: this.now, queue: 'b' });
    this.advance(100);
  }
}

/** A pid no process has (above any pid_max), for the LOCK a killed hub leaves behind. */
const DEAD_PID = 2 ** 31 - 2;

/**
 * What a killed process leaves in a data dir, copied to a new dir: every file as it is
 * now (the page cache survives a process crash), and the LOCK holding a dead pid.
 * `truncate` cuts named files, for power cuts that lose bytes not yet fsynced.
 */
export function copyAsCrashed(
  from: string,
  to: string,
  truncate: Map<string, number> = new Map(),
): void {
  for (const name of readdirSync(from)) {
    if (name === 'LOCK') continue;
    try {
      copyFileSync(path.join(from, name), path.join(to, name));
    } catch (err) {
      // Renamed or deleted by a compaction thread while we copied: the crash came before.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  for (const [name, size] of truncate) truncateSync(path.join(to, name), size);
  writeFileSync(path.join(to, 'LOCK'), `${DEAD_PID}\n`, { mode: 0o600 });
}

/** Open a store, watching for fatal errors the test did not cause. */
async function open(store: Store): Promise<{ rec: Recovered; records: object[]; fatal: Error[] }> {
  const fatal: Error[] = [];
  store.onFatal((err) => fatal.push(err));
  const rec = await store.open();
  return { rec, records: [...rec.records], fatal };
}

function clearError(t: Test, fn: () => unknown, pattern: RegExp, what: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  t.type(thrown, Error, `${what} throws an Error`);
  t.match(String((thrown as Error | undefined)?.message), pattern, `${what}: the message says why`);
}

/** The value a store cannot encode: past msgpack's 64-bit integers. */
const UNENCODABLE = { type: 'gc', now: 1, huge: 2n ** 70n };

export interface ContractOptions {
  /** Runs of the crash property (default: 40 for an engine with a journal, else 15). */
  propertyRuns?: number;
}

export function storeContract<S extends Store>(
  t: Test,
  name: string,
  factory: StoreFactory<S>,
  options: ContractOptions = {},
): void {
  const declared = factory(t).capabilities;
  t.test(`${name}: declares what it is`, async (t) => {
    const h = factory(t);
    const store = h.make();
    const caps = h.capabilities;
    t.equal(typeof store.prepare === 'function', caps.prepare, 'prepare() present iff capability');
    t.equal(
      typeof store.setStateProvider === 'function',
      caps.takesState,
      'setStateProvider() present iff capability',
    );
    t.equal(typeof h.compact === 'function', caps.compaction, 'harness can compact iff capability');
    t.equal(typeof h.breakStorage === 'function', caps.faults, 'harness can break iff capability');
    const { rec, records, fatal } = await open(store);
    t.same(records, [], 'a fresh store recovers no records');
    t.equal(rec.snapshot, undefined, 'and no snapshot');
    t.equal(rec.stats.snapshot, false);
    t.equal(rec.stats.walRecords, 0);
    const s = store.stats();
    t.equal(s.mode, store.mode, 'stats().mode is the store mode');
    t.equal(s.appended, 0);
    t.equal(s.durableSeq, 0);
    t.equal(store.durableSeq, 0);
    await store.close();
    t.same(fatal, []);
  });

  t.test(`${name}: sequence numbers rise by one from 1 after every open`, async (t) => {
    const h = factory(t);
    for (const round of [1, 2]) {
      const store = h.make();
      const { fatal } = await open(store);
      const seqs: number[] = [];
      for (let i = 0; i < 30; i++) {
        seqs.push(store.append({ type: 'gc', now: i, round }));
        const s = store.stats();
        if (s.appended !== seqs.at(-1))
          t.fail(`stats().appended ${s.appended} after seq ${seqs.at(-1)}`);
        if (s.durableSeq > s.appended) t.fail('durableSeq ahead of appended');
        if (i % 10 === 9) await turn();
      }
      t.same(
        seqs,
        Array.from({ length: 30 }, (_, i) => i + 1),
        `open #${round}: 1, 2, ... 30`,
      );
      await store.close();
      t.same(fatal, []);
    }
  });

  t.test(
    `${name}: onDurable runs each callback once, in order, only when durable (${declared.durable})`,
    async (t) => {
      const h = factory(t);
      const store = h.make();
      const { fatal } = await open(store);
      const mode = h.capabilities.durable;
      const calls: string[] = [];
      const expected: string[] = [];
      let lastDurable = 0;
      let seq = 0;
      for (let round = 0; round < 6; round++) {
        for (let i = 0; i < 15; i++) {
          const before = store.stats();
          seq = store.append({ type: 'gc', now: seq, pad: 'x'.repeat((seq * 37) % 300) });
          const mine = seq;
          const check = (tag: string) => (err?: Error) => {
            calls.push(`${mine}${tag}`);
            if (err) t.fail(`seq ${mine}: unexpected error ${err.message}`);
            const s = store.stats();
            if (store.durableSeq < mine || s.durableSeq < mine)
              t.fail(`seq ${mine} reported durable while durableSeq is ${store.durableSeq}`);
            if (s.durableSeq < lastDurable) t.fail('durableSeq went backwards');
            lastDurable = s.durableSeq;
            if (mode === 'after-fsync' && s.fsyncs <= before.fsyncs)
              t.fail(`seq ${mine} reported durable with no fsync since its append`);
            if (mode === 'after-write' && s.bytesWritten <= before.bytesWritten)
              t.fail(`seq ${mine} reported durable with nothing written since its append`);
          };
          if (mode === 'at-once' && store.durableSeq !== mine)
            t.fail(`at-once: durableSeq ${store.durableSeq} right after append ${mine}`);
          store.onDurable(mine, check('a'));
          expected.push(`${mine}a`);
          if (mine % 4 === 0) {
            // A second waiter on the same record runs after the first.
            store.onDurable(mine, check('b'));
            expected.push(`${mine}b`);
          }
        }
        // Leave the event loop so batches form and overlap with writes in flight.
        if (round % 2) await turn();
      }
      t.equal(await durable(store, seq), undefined, 'the last record becomes durable');
      for (let i = 0; i < 5; i++) await turn();
      t.same(calls, expected, `${expected.length} callbacks, each once, in append order`);
      t.equal(store.stats().durableSeq, seq);
      t.equal(store.stats().appended, seq);
      await store.close();
      t.same(fatal, []);
    },
  );

  t.test(`${name}: onDurable for a record already durable runs promptly`, async (t) => {
    const h = factory(t);
    const store = h.make();
    const { fatal } = await open(store);
    let seq = 0;
    for (let i = 0; i < 10; i++) seq = store.append({ type: 'gc', now: i });
    t.equal(await durable(store, seq), undefined);
    const got: (Error | undefined)[] = [];
    store.onDurable(1, (err) => got.push(err));
    store.onDurable(seq, (err) => got.push(err));
    await turn();
    t.same(got, [undefined, undefined], 'both ran, without an error, before the next turn');
    await store.close();
    t.same(fatal, []);
  });

  t.test(`${name}: close() flushes everything appended`, async (t) => {
    const h = factory(t);
    const store = h.make();
    const { fatal } = await open(store);
    const records = Array.from({ length: 300 }, (_, i) => ({
      type: 'gc',
      now: i,
      pad: 'y'.repeat(i * 13),
    }));
    const reported: (Error | undefined)[] = [];
    for (const r of records) store.onDurable(store.append(r), (err) => reported.push(err));
    await store.close();
    t.equal(reported.length, records.length, 'every waiter ran before close() resolved');
    t.ok(
      reported.every((e) => e === undefined),
      'none with an error',
    );
    t.equal(store.stats().durableSeq, records.length, 'durableSeq = appended after close');
    t.same(fatal, []);
    const again = h.make();
    const { records: got } = await open(again);
    if (h.capabilities.journal) t.same(got, records, 'reopened: all 300, in order, intact');
    else t.same(got, [], 'reopened: no journal, no records');
    await again.close();
  });

  t.test(`${name}: after close() resolves, the store calls nothing back`, async (t) => {
    const h = factory(t);
    let late = 0;
    for (let i = 0; i < 40; i++) {
      const store = h.make();
      let closed = false;
      const after = (): void => {
        if (closed) late++;
      };
      store.onFsyncLatency(after);
      store.onFatal(after);
      await store.open();
      // Close at varied moments: while a write, an fsync or a timer's fsync may be in flight.
      const seq = store.append({ type: 'gc', now: i });
      if (i % 2) await durable(store, seq);
      await sleep(i % 9);
      store.append({ type: 'gc', now: i + 0.5 });
      await store.close();
      closed = true;
      await sleep(6);
    }
    t.equal(late, 0, 'no fsync or fatal callback ran after close() resolved (40 closes)');
  });

  t.test(`${name}: append, prepare and a second close after close()`, async (t) => {
    const h = factory(t);
    const store = h.make();
    await open(store);
    store.append({ type: 'gc', now: 1 });
    await store.close();
    const appended = store.stats().appended;
    clearError(t, () => store.append({ type: 'gc', now: 2 }), /closed/i, 'append after close');
    if (store.prepare) {
      const prepare = store.prepare.bind(store);
      clearError(t, () => prepare({ type: 'gc', now: 2 }), /closed/i, 'prepare after close');
    }
    t.equal(store.stats().appended, appended, 'the refused append took no sequence number');

    // A second close() must not touch data that another store now holds.
    const next = h.make();
    await open(next);
    await store.close();
    t.pass('a second close() resolves');
    const third = h.make();
    const err = await third.open().then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    if (h.capabilities.exclusive) {
      t.equal(
        err?.code,
        h.capabilities.lockedCode ?? 'STORE_LOCKED',
        'the data is still held by the store opened after it',
      );
    } else {
      t.equal(err, undefined, 'not exclusive: a second store opens alongside');
      await third.close();
    }
    await next.close();
  });

  t.test(
    `${name}: one open store per data location (exclusive: ${declared.exclusive})`,
    async (t) => {
      const h = factory(t);
      const a = h.make();
      await open(a);
      const b = h.make();
      const err = await b.open().then(
        () => undefined,
        (e: unknown) => e as Error & { code?: string },
      );
      if (h.capabilities.exclusive) {
        t.equal(
          err?.code,
          h.capabilities.lockedCode ?? 'STORE_LOCKED',
          'the second open is refused',
        );
        t.match(String(err?.message), /in use/, 'and says why');
      } else {
        t.equal(err, undefined, 'opens alongside');
        await b.close();
      }
      await a.close();
      const c = h.make();
      await open(c);
      t.pass('after close() the data opens again');
      await c.close();
    },
  );

  t.test(`${name}: recovered state after close() equals the live core's`, async (t) => {
    const h = factory(t);
    const store = h.make();
    const { fatal } = await open(store);
    const d = new CoreDriver(store);
    store.setStateProvider?.(() => d.core.snapshot());
    d.scripted();
    t.ok(d.journal.length > 100, `the history journaled ${d.journal.length} records`);
    const live = coreState(d.core);
    await store.close();
    t.same(fatal, []);
    const again = h.make();
    const { rec, records } = await open(again);
    const got = replayedState(rec.snapshot, records);
    if (h.capabilities.journal || h.capabilities.stateSnapshots)
      t.equal(got, live, 'snapshot + records replayed through Core = the live state');
    else t.equal(got, coreState(new Core(CORE_OPTIONS)), 'nothing kept: an empty core');
    if (h.capabilities.journal && !rec.stats.snapshot)
      t.equal(canonical(records), canonical(d.journal), 'every record, in order');
    await again.close();
  });

  t.test(`${name}: a crash after records were reported durable`, async (t) => {
    const h = factory(t);
    const store = h.make();
    await open(store);
    const d = new CoreDriver(store);
    const provided: string[] = [];
    store.setStateProvider?.(() => {
      const s = d.core.snapshot();
      provided.push(canonical(s));
      return s;
    });
    d.scripted(20);
    t.equal(await durable(store, d.seq), undefined);
    const reported = d.seq;
    const live = coreState(d.core);
    if (h.capabilities.stateSnapshots) {
      // Let a periodic snapshot happen: the crash must keep at least that one.
      for (let i = 0; i < 500 && provided.length === 0; i++) await sleep(5);
      t.ok(provided.length > 0, 'the store wrote a periodic snapshot');
    }
    // More work the crash interrupts: not yet reported durable (nor snapshotted).
    d.scripted(10);
    const lastWritten = provided.at(-1);
    await h.crash(store);
    const again = h.make();
    const { rec, records } = await open(again);
    if (h.capabilities.journal) {
      // An engine with a journal and state snapshots recovers its last snapshot, covering
      // the first k records, and the log after it; k + n must reach what was reported.
      const n = records.length;
      let k = 0;
      if (rec.snapshot !== undefined) {
        t.ok(h.capabilities.stateSnapshots, 'a snapshot only from an engine that writes them');
        const snap = replayedState(rec.snapshot, []);
        const found = [...Array(d.journal.length - n + 1).keys()].find(
          (j) =>
            canonical(records) === canonical(d.journal.slice(j, j + n)) &&
            replayedState(undefined, d.journal.slice(0, j)) === snap,
        );
        t.not(found, undefined, 'the snapshot is the state after the records before the log');
        k = found ?? 0;
      }
      t.ok(
        k + n >= reported,
        `${k} records in the snapshot and ${n} in the log; ${reported} were reported durable`,
      );
      t.equal(
        canonical(records),
        canonical(d.journal.slice(k, k + n)),
        'the records after the snapshot: what was appended after it, in order',
      );
      t.equal(
        replayedState(rec.snapshot, records),
        replayedState(undefined, d.journal.slice(0, k + n)),
        'snapshot + records = the state after the first k + n records',
      );
      if (k <= reported)
        t.equal(
          replayedState(rec.snapshot, records.slice(0, reported - k)),
          live,
          'replaying what was reported durable gives the state at that point',
        );
    } else if (h.capabilities.stateSnapshots) {
      t.equal(
        rec.snapshot === undefined ? undefined : canonical(rec.snapshot),
        lastWritten,
        'the last state the store wrote',
      );
      t.equal(replayedState(rec.snapshot, []), live, 'which is the state when it was written');
      t.same(records, []);
    } else {
      t.same(records, [], 'nothing survives');
      t.equal(rec.snapshot, undefined);
    }
    // The engine keeps working on what the crash left.
    const seq = again.append({ type: 'gc', now: d.now + 1 });
    t.equal(seq, 1, 'numbering starts at 1 again');
    t.equal(await durable(again, seq), undefined);
    await again.close();
    const third = h.make();
    const { records: after } = await open(third);
    t.equal(after.length, h.capabilities.journal ? records.length + 1 : 0, 'and appends after it');
    await third.close();
  });

  if (declared.compaction) {
    t.test(`${name}: compaction keeps the recovered state equivalent`, async (t) => {
      const h = factory(t);
      const store = h.make();
      const { fatal } = await open(store);
      const d = new CoreDriver(store);
      d.scripted(30);
      t.equal(await durable(store, d.seq), undefined);
      const before = store.stats().compactions;
      await h.compact!(store);
      t.equal(store.stats().compactions, before + 1, 'stats().compactions counts it');
      // Compaction racing with appends still in flight.
      d.scripted(20);
      const racing = h.compact!(store);
      d.scripted(10);
      await racing;
      d.scripted(5);
      const live = coreState(d.core);
      await store.close();
      t.same(fatal, []);
      const again = h.make();
      const { rec, records } = await open(again);
      t.ok(rec.stats.snapshot, 'recovery starts from a snapshot');
      t.ok(
        records.length < d.journal.length,
        `and replays ${records.length} of ${d.journal.length} records`,
      );
      t.equal(
        canonical(records),
        canonical(d.journal.slice(d.journal.length - records.length)),
        'the records after the snapshot, in order',
      );
      t.equal(replayedState(rec.snapshot, records), live, 'snapshot + tail = the live state');
      t.equal(
        replayedState(rec.snapshot, []),
        replayedState(undefined, d.journal.slice(0, d.journal.length - records.length)),
        'the snapshot = the records it replaced',
      );
      await again.close();
    });

    t.test(`${name}: a closed store compacts nothing`, async (t) => {
      const h = factory(t);
      const store = h.make();
      await open(store);
      new CoreDriver(store).scripted(20);
      await store.close();
      // The data now belongs to the next store; the closed one must leave its files alone.
      const next = h.make();
      const { records } = await open(next);
      await h.compact!(store);
      await next.close();
      const again = h.make();
      const { rec, records: after } = await open(again);
      t.notOk(rec.stats.snapshot, 'no snapshot was made');
      t.equal(after.length, records.length, 'every record is still in the log');
      await again.close();
    });
  } else {
    t.test(`${name}: no compaction, so nothing is folded away`, async (t) => {
      const h = factory(t);
      const store = h.make();
      await open(store);
      new CoreDriver(store).scripted(10);
      await store.close();
      t.equal(store.stats().compactions, 0, 'stats().compactions stays 0');
    });
  }

  t.test(
    `${name}: prepare() refuses what cannot be written, and then nothing changed`,
    async (t) => {
      const h = factory(t);
      const store = h.make();
      const { fatal } = await open(store);
      const a = { type: 'gc', now: 1, n: 'a' };
      t.equal(store.append(a), 1);
      if (h.capabilities.prepare) {
        const good = { type: 'gc', now: 2, n: 'good' };
        store.prepare!(good);
        let thrown: unknown;
        try {
          store.prepare!(UNENCODABLE);
        } catch (err) {
          thrown = err;
        }
        t.type(thrown, Error, 'prepare() throws for a record it cannot encode');
        t.equal(store.stats().appended, 1, 'nothing appended');
        t.throws(() => store.append(UNENCODABLE), 'append() refuses it too');
        t.equal(store.stats().appended, 1, 'still nothing appended');
        t.equal(
          store.append(good),
          2,
          'a record prepared before the refusal still appends, next seq',
        );
        const c = { type: 'gc', now: 3, n: 'c' };
        store.prepare!(c);
        t.equal(store.append(c), 3);
        t.equal(await durable(store, 3), undefined);
        await store.close();
        const again = h.make();
        const { records } = await open(again);
        t.same(
          records,
          h.capabilities.journal ? [a, good, c] : [],
          'the log holds exactly a, good, c',
        );
        await again.close();
      } else {
        t.equal(store.append(UNENCODABLE), 2, 'encodes nothing, so any record appends');
        t.equal(await durable(store, 2), undefined);
        await store.close();
      }
      t.same(fatal, []);
    },
  );

  if (declared.faults) {
    t.test(`${name}: a storage failure loses nothing reported durable`, async (t) => {
      const h = factory(t);
      const store = h.make();
      const { fatal } = await open(store);
      const d = new CoreDriver(store);
      d.scripted(10);
      t.equal(await durable(store, d.seq), undefined);
      const reported = d.seq;
      const live = coreState(d.core);
      h.breakStorage!(store);
      const lost = store.append({ type: 'gc', now: d.now + 1 });
      const err = await durable(store, lost);
      t.type(err, Error, 'the record that could not be written: onDurable gets an error');
      t.type((err as { code?: unknown } | undefined)?.code, 'string', 'with a code');
      for (let i = 0; i < 5 && fatal.length === 0; i++) await turn();
      t.equal(fatal.length, 1, 'onFatal fired once');
      t.equal(store.durableSeq, reported, 'durableSeq did not move past what was written');
      // After a fatal error nothing new may be reported durable.
      if (store.prepare) {
        const prepare = store.prepare.bind(store);
        clearError(t, () => prepare({ type: 'gc', now: 1 }), /./, 'prepare after a fatal error');
      }
      let later: number | undefined;
      try {
        later = store.append({ type: 'gc', now: d.now + 2 });
      } catch (e) {
        t.type(e, Error, 'append after a fatal error throws');
      }
      if (later !== undefined)
        t.type(await durable(store, later), Error, 'or its onDurable gets an error');
      await store.close();
      t.pass('close() after a fatal error resolves');
      const again = h.make();
      const { rec, records } = await open(again);
      t.equal(records.length, reported, 'reopened: exactly the records reported durable');
      t.equal(replayedState(rec.snapshot, records), live, 'and the state they make');
      await again.close();
    });
  } else {
    t.test(`${name}: cannot fail, so onFatal never fires`, async (t) => {
      const h = factory(t);
      const store = h.make();
      const { fatal } = await open(store);
      new CoreDriver(store).scripted(10);
      await store.close();
      t.same(fatal, [], 'no fatal error through open, appends and close');
    });
  }

  t.test(`${name}: recovery after a crash at a random point (property)`, async (t) => {
    const caps = declared;
    const step = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({
          k: fc.constant('submit' as const),
          p: fc.nat(3),
          gpu: fc.boolean(),
          delay: fc.boolean(),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          k: fc.constant('register' as const),
          w: fc.nat(2),
          c: fc.integer({ min: 1, max: 3 }),
          gpu: fc.boolean(),
        }),
      },
      {
        weight: 5,
        arbitrary: fc.record({
          k: fc.constant('finish' as const),
          i: fc.nat(),
          how: fc.constantFrom('complete' as const, 'retry' as const, 'fail' as const),
        }),
      },
      { weight: 1, arbitrary: fc.record({ k: fc.constant('disconnect' as const), w: fc.nat(2) }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant('cancel' as const), i: fc.nat() }) },
      {
        weight: 1,
        arbitrary: fc.record({
          k: fc.constant('bulk' as const),
          i: fc.nat(7),
          action: fc.constantFrom('cancel' as const, 'retry' as const, 'purge' as const),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          k: fc.constant('schedule' as const),
          i: fc.nat(1),
          op: fc.constantFrom(
            'create' as const,
            'pause' as const,
            'resume' as const,
            'remove' as const,
          ),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          k: fc.constant('tick' as const),
          ms: fc.integer({ min: 1, max: 400 }),
        }),
      },
      // Store-side: let batches go out, wait for durability, compact.
      { weight: 3, arbitrary: fc.record({ k: fc.constant('turn' as const) }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant('wait' as const) }) },
      // Real time passes: periodic snapshots and interval fsyncs happen.
      { weight: 1, arbitrary: fc.record({ k: fc.constant('pause' as const) }) },
      {
        weight: caps.compaction ? 1 : 0,
        arbitrary: fc.record({ k: fc.constant('compact' as const) }),
      },
    );
    let runs = 0;
    let torn = 0;
    let beyondReported = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 70 }),
        // Unbiased: fast-check's defaults favour 0, which tears nothing.
        fc.noBias(fc.integer({ min: 0, max: 999_999 })).map((x) => x / 1_000_000),
        fc.nat(3),
        async (steps, tear, spin) => {
          runs++;
          const h = factory(t);
          const store = h.make();
          const { fatal } = await open(store);
          const d = new CoreDriver(store);
          let provided: string | undefined;
          store.setStateProvider?.(() => {
            const s = d.core.snapshot();
            provided = canonical(s);
            return s;
          });
          const compactions: Promise<void>[] = [];
          // Which records were reported durable, as the hub would learn it.
          let reported = 0;
          const watch = (seq: number): void =>
            store.onDurable(seq, (err) => {
              if (!err && seq > reported) reported = seq;
            });
          for (const s of steps) {
            switch (s.k) {
              case 'submit':
                d.submit({
                  queue: 'a',
                  priority: (['critical', 'high', 'normal', 'low'] as const)[s.p],
                  ...(s.gpu ? { requires: ['gpu'] } : {}),
                  ...(s.delay ? { delayMs: 50 } : {}),
                });
                break;
              case 'register':
                d.register(`w${s.w}`, s.c, s.gpu);
                break;
              case 'finish':
                d.finish(s.i, s.how);
                break;
              case 'disconnect':
                d.disconnect(`w${s.w}`);
                break;
              case 'cancel':
                d.cancel(s.i);
                break;
              case 'bulk':
                d.bulk(s.i, s.action);
                break;
              case 'schedule':
                d.schedule(s.i, s.op);
                break;
              case 'tick':
                d.advance(s.ms);
                break;
              case 'turn':
                await turn();
                break;
              case 'wait':
                if (d.seq > 0 && (await durable(store, d.seq)))
                  throw new Error('a record was lost');
                break;
              case 'pause':
                await sleep(12);
                break;
              case 'compact':
                compactions.push(h.compact!(store));
                break;
            }
            if (d.seq > 0) watch(d.seq);
          }
          for (let i = 0; i < spin; i++) await turn();
          // The crash: what the hub was told is durable at this instant must survive.
          const atCrash = reported;
          const appended = d.seq;
          const lastProvided = provided;
          await h.crash(store, tear);
          await Promise.all(compactions);
          if (fatal.length) throw new Error(`fatal before the crash: ${fatal[0]!.message}`);

          const again = h.make();
          const { rec, records } = await open(again);
          if (rec.stats.droppedTailBytes > 0) torn++;
          if (caps.journal) {
            // A snapshot (compaction) covers the first k0 records, the log the next ones.
            const n = records.length;
            const want = replayedState(rec.snapshot, records);
            const start = rec.snapshot === undefined ? [0] : [...Array(appended - n + 1).keys()];
            // The last k that fits: a record that changes nothing (a bulk action matching no
            // task) makes a snapshot before it and one after it equal, and the earlier k would
            // read as records lost.
            const k0 = start
              .reverse()
              .find(
                (k) =>
                  canonical(records) === canonical(d.journal.slice(k, k + n)) &&
                  replayedState(undefined, d.journal.slice(0, k + n)) === want,
              );
            if (k0 === undefined)
              throw new Error(
                `recovered ${n} records that are no prefix of the ${appended} appended`,
              );
            if (k0 + n < atCrash)
              throw new Error(`recovered ${k0 + n} records, but ${atCrash} were reported durable`);
            if (k0 + n > atCrash) beyondReported++;
          } else if (caps.stateSnapshots) {
            const got = rec.snapshot === undefined ? undefined : canonical(rec.snapshot);
            if (got !== lastProvided)
              throw new Error('recovered state is not the last one written');
            if (records.length) throw new Error('records from a store without a journal');
          } else if (records.length || rec.snapshot !== undefined) {
            throw new Error('a memory store recovered something');
          }
          // Appending continues cleanly after whatever the crash left.
          const seq = again.append({ type: 'gc', now: d.now + 1 });
          if ((await durable(again, seq)) !== undefined)
            throw new Error('append after recovery lost');
          await again.close();
          const third = h.make();
          const { records: after } = await open(third);
          await third.close();
          const expect = caps.journal ? records.length + 1 : 0;
          if (after.length !== expect)
            throw new Error(
              `after recovery and one append, ${after.length} records, want ${expect}`,
            );
          return true;
        },
      ),
      { numRuns: options.propertyRuns ?? (caps.journal ? 40 : 15) },
    );
    t.pass(
      `${runs} runs: every record reported durable was recovered; ${torn} runs recovered from a torn tail, ${beyondReported} recovered more than was reported`,
    );
    if (caps.journal && caps.durable === 'after-fsync')
      t.ok(torn > 0, 'the property reached torn tails (the crash landed mid-write)');
  });
}
