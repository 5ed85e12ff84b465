import { Packr } from 'msgpackr';
import { StoreError, StoreErrorCode, storeClosedError } from '../errors.js';
import { APPEND, isFencedReply, runScript } from './redis-scripts.js';
import type { RedisStoreContext } from './redis-store-context.js';
import { fencedError } from './redis-store-lease.js';

const packr = new Packr({ useRecords: false, moreTypes: false });

export interface AppendHooks {
  /** A record of `bytes` was buffered (it counts toward the next compaction). */
  appended(bytes: number): void;
  /** Redis took the batch ending at record `upto` in `ms`. */
  logged(upto: number, ms: number): void;
}

/**
 * The store's appends: records are encoded into one buffer and sent, once per turn of the
 * event loop, as one batch (group commit) by the append script, which checks the lease's
 * epoch (fencing) and the batch's sequence numbers in the same step that writes it.
 */
export class RedisAppender {
  private batch = Buffer.allocUnsafe(64 * 1024);
  private batchLen = 0;
  private batchFirst = 1;
  private scheduled = false;
  private preparedRecord: object | undefined;
  private preparedPayload: Uint8Array | undefined;
  private readonly flushNow = (): void => this.flush();

  constructor(
    private readonly ctx: RedisStoreContext,
    private readonly hooks: AppendHooks,
  ) {}

  /**
   * Refuse now what could not be written: a record that cannot be encoded, a store that
   * failed or closed, or Redis out of reach (ENGINE_UNAVAILABLE: the hub refuses the command
   * with a clear code and changes nothing, rather than queue work it cannot acknowledge).
   */
  prepare(record: object): void {
    const ctx = this.ctx;
    if (ctx.fatal) throw ctx.fatal;
    if (ctx.closed) throw storeClosedError('redis');
    const data = ctx.data;
    if (data?.status !== 'ready')
      throw new StoreError(
        StoreErrorCode.ENGINE_UNAVAILABLE,
        `Redis is unreachable (connection ${data?.status ?? 'not open'}): nothing was accepted; retry once it answers`,
      );
    if (ctx.lease && !ctx.lease.held)
      throw new StoreError(
        StoreErrorCode.ENGINE_UNAVAILABLE,
        'this hub could not renew its lease on the Redis engine in time: nothing was accepted; retry (another hub may lead by now)',
      );
    this.preparedRecord = undefined;
    this.preparedPayload = undefined;
    this.preparedPayload = packr.pack(record);
    this.preparedRecord = record;
  }

  append(record: object): number {
    const ctx = this.ctx;
    if (ctx.closed) throw storeClosedError('redis');
    if (ctx.fatal) return ++ctx.seq;
    // MUST: pack() returns the encoder's shared buffer; it is copied into the batch before
    // anything else encodes (as in the WAL).
    const payload = this.preparedRecord === record ? this.preparedPayload! : packr.pack(record);
    this.preparedRecord = undefined;
    this.preparedPayload = undefined;
    const need = this.batchLen + payload.byteLength;
    if (need > this.batch.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.batch.length * 2));
      this.batch.copy(bigger, 0, 0, this.batchLen);
      this.batch = bigger;
    }
    this.batch.set(payload, this.batchLen);
    this.batchLen = need;
    ctx.seq++;
    this.hooks.appended(payload.byteLength);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushNow);
    }
    return ctx.seq;
  }

  /**
   * Send the buffered records as one batch: one script, one stream entry. Batches are
   * pipelined on the one connection, so Redis runs them in order, and their replies come
   * back in order.
   */
  flush(): void {
    this.scheduled = false;
    const ctx = this.ctx;
    const data = ctx.data;
    const lease = ctx.lease;
    if (this.batchLen === 0 || ctx.fatal || ctx.silent || !data || !lease) return;
    const len = this.batchLen;
    const body = Buffer.allocUnsafe(len);
    this.batch.copy(body, 0, 0, len);
    const first = this.batchFirst;
    const upto = ctx.seq;
    this.batchFirst = upto + 1;
    this.batchLen = 0;
    const t0 = performance.now();
    runScript(
      data,
      APPEND,
      [ctx.keys.epoch, ctx.keys.seq, ctx.keys.log],
      [lease.epoch, ctx.base + first, ctx.base + upto, body],
    ).then(
      (reply) => {
        if (ctx.silent || ctx.fatal) return;
        const ms = performance.now() - t0;
        const s = ctx.counters;
        s.batches++;
        s.lastMs = ms;
        s.bytesWritten += len;
        if (reply === 1) s.entries++;
        else s.resent++;
        this.hooks.logged(upto, ms);
      },
      (err: unknown) => {
        if (ctx.silent || ctx.fatal) return;
        if (isFencedReply(err)) {
          ctx.die(fencedError(ctx.keys, ctx.lease?.epoch ?? 0, (err as Error).message));
          return;
        }
        // Redis refused the batch (out of memory under noeviction, a script error): it is
        // not in the log, but the core has applied its commands, so this hub's memory is
        // ahead of the log, and every later record was decided on that state. Going on would
        // log them over a hole. Fatal: the hub steps down, and the next leader (maybe this
        // hub again) reloads the state from the log, which is the truth. The batches already
        // sent behind it are refused by the append script (it takes no gap).
        ctx.die(
          new StoreError(
            StoreErrorCode.ENGINE_UNAVAILABLE,
            `Redis refused a batch of the log (records ${ctx.base + first}-${ctx.base + upto}: ${(err as Error).message}); ` +
              'its commands and every later one were not acknowledged. This hub stops leading so that the next leader reloads the state from the log' +
              (/OOM/.test((err as Error).message)
                ? '; Redis is out of memory (maxmemory under noeviction): give it more memory or retain fewer finished tasks'
                : ''),
            { cause: err },
          ),
        );
      },
    );
  }
}
