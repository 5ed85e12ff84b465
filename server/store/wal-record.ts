import { crc32 } from 'node:zlib';

/**
 * One WAL record on disk:
 *
 *   offset 0  u16  magic 0x5342 ("SB")  — lets recovery find record boundaries after damage
 *          2  u16  format version (1)
 *          4  u32  payload length (bytes)
 *          8  u32  CRC-32 of the length field and the payload
 *         12  ...  payload: one durable command, plain msgpack
 *
 * All integers little-endian.
 */
export const RECORD_MAGIC = 0x5342;
export const RECORD_VERSION = 1;
export const HEADER_BYTES = 12;
/** A record longer than this is treated as damage, not as a length to trust. */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;

export function checksum(buf: Uint8Array, lengthOffset: number, payloadLength: number): number {
  const lenCrc = crc32(buf.subarray(lengthOffset, lengthOffset + 4));
  return crc32(buf.subarray(lengthOffset + 8, lengthOffset + 8 + payloadLength), lenCrc);
}

/** Write header + payload at `offset` of `buf` (which must have room). Returns bytes written. */
export function writeRecord(buf: Buffer, offset: number, payload: Uint8Array): number {
  buf.writeUInt16LE(RECORD_MAGIC, offset);
  buf.writeUInt16LE(RECORD_VERSION, offset + 2);
  buf.writeUInt32LE(payload.byteLength, offset + 4);
  buf.set(payload, offset + HEADER_BYTES);
  buf.writeUInt32LE(checksum(buf, offset + 4, payload.byteLength), offset + 8);
  return HEADER_BYTES + payload.byteLength;
}

export type ReadResult =
  | { kind: 'record'; payload: Buffer; next: number }
  | { kind: 'end' }
  /** Not enough bytes for the header or the payload it declares: a write cut short. */
  | { kind: 'truncated' }
  | { kind: 'bad'; reason: string };

export function readRecord(buf: Buffer, offset: number): ReadResult {
  if (offset === buf.length) return { kind: 'end' };
  if (buf.length - offset < HEADER_BYTES) return { kind: 'truncated' };
  if (buf.readUInt16LE(offset) !== RECORD_MAGIC) return { kind: 'bad', reason: 'bad magic' };
  if (buf.readUInt16LE(offset + 2) !== RECORD_VERSION)
    return { kind: 'bad', reason: 'unknown record version' };
  const len = buf.readUInt32LE(offset + 4);
  if (len > MAX_RECORD_BYTES) return { kind: 'bad', reason: `implausible length ${len}` };
  if (buf.length - offset - HEADER_BYTES < len) return { kind: 'truncated' };
  const crc = buf.readUInt32LE(offset + 8);
  // The CRC field sits between length and payload; checksum() covers length + payload.
  const lenCrc = crc32(buf.subarray(offset + 4, offset + 8));
  const actual = crc32(buf.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + len), lenCrc);
  if (actual !== crc) return { kind: 'bad', reason: 'checksum mismatch' };
  return {
    kind: 'record',
    payload: buf.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + len),
    next: offset + HEADER_BYTES + len,
  };
}

/** Is there any intact record anywhere after `from`? (Tells damage from a torn tail.) */
export function validRecordAfter(buf: Buffer, from: number): boolean {
  for (let i = from + 1; i + HEADER_BYTES <= buf.length; i++) {
    if (buf[i] !== (RECORD_MAGIC & 0xff) || buf[i + 1] !== RECORD_MAGIC >> 8) continue;
    if (readRecord(buf, i).kind === 'record') return true;
  }
  return false;
}
