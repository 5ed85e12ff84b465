import type { Redis } from 'ioredis';
import { Unpackr } from 'msgpackr';
import { StoreError, StoreErrorCode } from '../errors.js';
import type { RedisKeys } from './redis-keys.js';

/** One stream entry of the log: one batch, records `first`..`upto`. */
export interface LogEntry {
  readonly id: string;
  readonly first: number;
  readonly upto: number;
  readonly records: object[];
  /** Encoded size of the batch (counts toward the next compaction). */
  readonly bytes: number;
}

const PAGE = 512;

/**
 * The log's entries after record `after` (what a snapshot covers), in order, read a page at
 * a time. Stops after the entry that reaches `until` (default: the end of the log). Shared by
 * the store's open() and the compaction thread, so both read the same records the same way.
 */
export async function* readLogEntries(
  redis: Redis,
  keys: RedisKeys,
  after: number,
  until = Infinity,
): AsyncGenerator<LogEntry> {
  const unpackr = logUnpackr();
  let start = `${after + 1}-0`;
  let last = after;
  for (;;) {
    const page = await redis.xrangeBuffer(keys.log, start, '+', 'COUNT', PAGE);
    for (const [idBuf, fields] of page) {
      const entry = parseLogEntry(keys, idBuf, fields, unpackr, last);
      yield entry;
      last = entry.upto;
      if (entry.upto >= until) return;
    }
    if (page.length < PAGE) return;
    start = `(${page[page.length - 1]![0].toString()}`;
  }
}

/**
 * One stream entry as read by XRANGE or XREAD, checked against the entry before it (its
 * records must follow `last` and be as many as its id says).
 */
export function parseLogEntry(
  keys: RedisKeys,
  idBuf: Buffer,
  fields: Buffer[],
  unpackr: Unpackr,
  last: number,
): LogEntry {
  const id = idBuf.toString();
  const upto = Number(id.slice(0, id.indexOf('-')));
  let first = NaN;
  let body: Buffer | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!.toString();
    if (name === 'f') first = Number(fields[i + 1]!.toString());
    else if (name === 'r') body = fields[i + 1];
  }
  const records = body ? (unpackr.unpackMultiple(body) as object[]) : [];
  if (!(first > last) || records.length !== upto - first + 1)
    throw new StoreError(
      StoreErrorCode.STORE_CORRUPT,
      `the Redis engine log ${keys.log} is damaged at entry ${id} (records ${first}-${upto}, ${records.length} decoded, previous entry ended at ${last}): ` +
        'refusing to start rather than lose acknowledged work. Check whether something else writes to these keys',
    );
  return { id, first, upto, records, bytes: body?.length ?? 0 };
}

/** The decoder log entries are read with (one per reader: it is not shared state). */
export function logUnpackr(): Unpackr {
  return new Unpackr({ useRecords: false, moreTypes: false });
}
