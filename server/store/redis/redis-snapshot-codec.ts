import { Packr, Unpackr } from 'msgpackr';

/**
 * The bytes of a Redis engine snapshot. A takeover decodes the whole state before the new
 * leader serves, so decoding is on the failover's critical path. Format 2 is msgpack with
 * records: an object's keys are written once per shape (every task in a snapshot has the
 * same shape) and each object after that is its values in order. For 200,000 queued tasks
 * that is 25.6 MB instead of 73.4 MB, decoded 3-10x faster (docs/benchmarks.md, "Takeover
 * time"). Format 1 (plain msgpack maps, no header) is still read: a cluster upgraded in place
 * loads the snapshot its previous version wrote.
 *
 * Format 2 starts with "SBRS" and a version byte: a format 1 snapshot starts with a map
 * byte (0x80-0x8f, 0xde, 0xdf), never with "S", so the two are told apart by their first
 * byte. The two need different decoders: with records on, the bytes 0x40-0x7f are record
 * references, while in plain msgpack they are small integers.
 */
const MAGIC = Buffer.from('SBRS\x02', 'latin1');

/** One shape's keys inline where it first appears, nothing shared between snapshots. */
const encoderOptions = { useRecords: true, moreTypes: false } as const;
/** Maps still decode as plain objects (msgpackr makes them Map objects once records are on). */
const decoderOptions = { useRecords: true, mapsAsObjects: true, moreTypes: false } as const;
const legacy = new Unpackr({ useRecords: false, moreTypes: false });

export function encodeSnapshot(state: unknown): Buffer {
  // A fresh encoder per snapshot: its record shapes start empty, so the bytes are complete
  // on their own (an encoder kept across calls may refer to shapes of an earlier call).
  const body = new Packr(encoderOptions).pack(state);
  const out = Buffer.allocUnsafe(MAGIC.length + body.length);
  MAGIC.copy(out, 0);
  out.set(body, MAGIC.length);
  return out;
}

export function decodeSnapshot(bytes: Buffer): unknown {
  if (bytes.length >= MAGIC.length && bytes.subarray(0, MAGIC.length).equals(MAGIC))
    return new Unpackr(decoderOptions).unpack(bytes.subarray(MAGIC.length));
  if (bytes[0] === MAGIC[0])
    throw new Error(
      `snapshot format ${bytes[4] ?? '?'} is newer than this hub reads (format 2): upgrade this hub`,
    );
  return legacy.unpack(bytes);
}
