import type { Redis } from 'ioredis';
import { Core, type Command, type CoreOptions } from '../../core/index.js';
import { StoreError } from '../errors.js';
import type { StoreLogger } from '../store.js';
import { connectRedis, type RedisTarget } from './redis-connection.js';
import type { RedisKeys } from './redis-keys.js';
import { logUnpackr, parseLogEntry } from './redis-log.js';
import { decodeSnapshot } from './redis-snapshot-codec.js';
import { readSnapshotBytes, readSnapshotMeta } from './redis-snapshot.js';

/** A core kept up to date from the log, and the last log record it has applied. */
export interface WarmState {
  core: Core;
  covers: number;
}

const BLOCK_MS = 1000;
const COUNT = 256;

/**
 * A warm standby: an edge hub loads the snapshot once, then tails the leader's log (XREAD
 * BLOCK) and applies each record to a core of its own, as a takeover's replay would. When
 * this hub takes the lease, the store hands over this core and replays only the records
 * after the last one it applied (those of the last moments), so a takeover costs the same
 * whatever the size of the state: decoding and restoring 200,000 tasks took 1.3-4 s, which
 * is now paid once, when the edge starts, not while the cluster waits.
 *
 * The standby's core is built by the same two steps as recovery (Core.restore of a snapshot,
 * then each later record applied in order), so it is the state recovery would build. It
 * applies an entry only if it follows the last one it applied; a gap (a compaction trimmed
 * the log past it while it lagged, or Redis lost the log's end in a restart) makes it load
 * the snapshot again. take() tells the store how far it got; the store checks that the log
 * still goes on from there (or loads cold).
 */
export class RedisStandby {
  private conn: Redis | undefined;
  private core: Core | undefined;
  private covers = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;
  /** Set while an entry is being applied or the snapshot loaded: not a state to hand over. */
  private busy = false;
  private loads = 0;
  /** Said once per outage that the log could not be followed. */
  private quiet = false;

  constructor(
    private readonly options: {
      redis: RedisTarget;
      keys: RedisKeys;
      hubId: string;
      coreOptions?: Partial<CoreOptions>;
      logger?: StoreLogger;
    },
  ) {}

  /** The last log record applied (0 before the snapshot is loaded). */
  get applied(): number {
    return this.core ? this.covers : 0;
  }

  /** The snapshot is loaded: take() would hand a core over. */
  get loaded(): boolean {
    return this.core !== undefined && !this.busy;
  }

  start(): void {
    if (this.loop || this.stopped) return;
    // A connection of its own: XREAD BLOCK holds it while waiting.
    const conn = connectRedis(this.options.redis, `switchboard:${this.options.hubId}:standby`, {
      maxRetriesPerRequest: 2,
      autoResendUnfulfilledCommands: false,
    });
    conn.on('error', () => {});
    this.conn = conn;
    this.loop = this.run(conn);
  }

  /**
   * Stop tailing and hand over the core with the last record it applied, or undefined when it
   * has none fit to hand over (still loading, or never loaded). The standby is used up.
   */
  take(): WarmState | undefined {
    const core = this.busy ? undefined : this.core;
    const covers = this.covers;
    // MUST NOT wait for the loop: a command on a connection disconnected while it was
    // reconnecting (Redis away) is neither sent nor failed by ioredis, so the loop may never
    // end, and a takeover waiting for it would hold the lease without ever serving (seen in
    // the long crash run: 21 s). It need not be waited for: after each of its awaits the
    // loop checks `stopped` before it touches the core again.
    this.stop();
    return core ? { core, covers } : undefined;
  }

  /** Stop tailing and drop the core. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.conn?.disconnect();
    this.core = undefined;
  }

  private async run(conn: Redis): Promise<void> {
    const { keys } = this.options;
    const unpackr = logUnpackr();
    while (!this.stopped) {
      try {
        if (!this.core) await this.load(conn);
        if (this.stopped) return;
        const got = await conn.xreadBuffer(
          'COUNT',
          COUNT,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          keys.log,
          `${this.covers}-0`,
        );
        if (this.stopped) return;
        const entries = got?.[0]?.[1] ?? [];
        for (const [idBuf, fields] of entries) {
          const entry = parseLogEntry(keys, idBuf, fields, unpackr, this.covers);
          if (entry.first !== this.covers + 1) {
            // Trimmed past what this standby applied: start again from the snapshot.
            this.core = undefined;
            break;
          }
          // One entry applied whole, with no turn in between: take() never sees half of one.
          this.busy = true;
          for (const record of entry.records) this.core!.apply(record as Command);
          this.core!.takeEffects();
          this.covers = entry.upto;
          this.busy = false;
        }
        // Let the relay and HTTP side run between pages of a long backlog.
        if (entries.length === COUNT) await new Promise((r) => setImmediate(r));
      } catch (err) {
        const midway = this.busy;
        this.busy = false;
        if (this.stopped) return;
        // An entry that does not follow (Redis lost the log's end), or one cut off while being
        // applied or loaded: start again from the snapshot. Redis away: the core is still
        // what the log held, so follow on from it once Redis answers (a log that changed
        // meanwhile shows as an entry that does not follow).
        const reload = midway || err instanceof StoreError;
        if (reload) this.core = undefined;
        if (!this.quiet) {
          this.quiet = true;
          this.options.logger?.warn(
            { err: (err as Error).message, reload },
            'cluster standby: could not follow the log; trying again every second',
          );
        }
        await new Promise((r) => setTimeout(r, 1000).unref());
        continue;
      }
      this.quiet = false;
    }
  }

  private async load(conn: Redis): Promise<void> {
    const { keys } = this.options;
    const t0 = performance.now();
    this.busy = true;
    const meta = await readSnapshotMeta(conn, keys);
    const bytes = meta ? await readSnapshotBytes(conn, keys, meta) : undefined;
    if (this.stopped) return;
    const core = Core.restore(bytes ? decodeSnapshot(bytes) : undefined, this.options.coreOptions);
    this.core = core;
    this.covers = meta?.covers ?? 0;
    this.busy = false;
    this.loads++;
    this.options.logger?.info(
      {
        covers: this.covers,
        tasks: core.tasks.size,
        bytes: meta?.bytes ?? 0,
        loads: this.loads,
        ms: Math.round(performance.now() - t0),
      },
      'cluster standby: loaded the snapshot; following the log so a takeover replays only its end',
    );
  }
}
