import { Packr, Unpackr } from 'msgpackr';
import { ErrorCode, type WireErrorCodeName } from './error-codes.js';
import { acceptHotFrame } from './frame-fast-path.js';
import { CLIENT_FRAME_TYPES, clientFrameSchema, type ClientFrame } from './frames.js';
import { packWithIntegerTimes } from './integer-times.js';
import {
  checkMsgpack,
  lastCheckedDepth,
  MAX_FRAME_DEPTH,
  MAX_VALUE_DEPTH,
} from './msgpack-check.js';
import { valueDepth } from './value-schema.js';

/**
 * Plain msgpack: no records extension, no structured clone, so any msgpack library in any
 * language reads and writes our frames. One encoder instance is reused (it keeps an
 * internal buffer, which is what makes it fast).
 */
// encodeUndefinedAsNil: msgpackr writes `undefined` as extension d4 00 00 otherwise, which is
// not plain msgpack (and what our own checkMsgpack refuses): a task without a payload, a
// completion without a result, must reach the peer as nil.
const packr = new Packr({
  useRecords: false,
  structuredClone: false,
  moreTypes: false,
  encodeUndefinedAsNil: true,
});
// copyBuffers: binary payloads must not alias the transport's receive buffer, which uWebSockets.js
// frees as soon as the message callback returns.
const unpackr = new Unpackr({
  useRecords: false,
  structuredClone: false,
  mapsAsObjects: true,
  copyBuffers: true,
  // 64-bit integers arrive from other languages' encoders for ordinary values; checkMsgpack
  // has already refused any that a double cannot hold exactly.
  int64AsType: 'number',
});

/**
 * Encode a frame. The returned buffer is a view into the encoder's shared buffer; it is
 * valid until the next encode() call. Send it (or copy it) before encoding again.
 * Time fields beyond 32 bits are written as int64, not float64 (see integer-times.ts).
 */
export function encodeFrame(frame: object): Uint8Array {
  return packWithIntegerTimes(pack, frame);
}

/** Encode into an owned buffer that may be kept across later encode() calls. */
export function encodeFrameCopy(frame: object): Uint8Array {
  return Uint8Array.prototype.slice.call(packWithIntegerTimes(pack, frame));
}

const pack = (value: object): Uint8Array => packr.pack(value);

export function decodeRaw(bytes: Uint8Array): unknown {
  return unpackr.unpack(bytes);
}

export type DecodeResult =
  | { ok: true; frame: ClientFrame }
  | { ok: false; code: WireErrorCodeName; message: string; id?: number };

/**
 * Decode and validate one client frame. Never throws: every failure maps to an error code
 * from the registry, with the request id when one could be read so the client can match it.
 */
export function decodeClientFrame(bytes: Uint8Array, maxBytes: number): DecodeResult {
  if (bytes.byteLength > maxBytes) {
    return {
      ok: false,
      code: ErrorCode.FRAME_TOO_LARGE,
      message: `frame of ${bytes.byteLength} bytes exceeds the limit of ${maxBytes} bytes`,
    };
  }
  const problem = checkMsgpack(bytes, MAX_FRAME_DEPTH);
  if (problem) {
    return {
      ok: false,
      code: ErrorCode.BAD_FRAME,
      message: `frame refused at byte ${problem.offset}: ${problem.message}`,
    };
  }
  let raw: unknown;
  try {
    raw = unpackr.unpack(bytes);
  } catch (err) {
    return {
      ok: false,
      code: ErrorCode.BAD_FRAME,
      message: `frame is not valid msgpack: ${(err as Error).message}`,
    };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, code: ErrorCode.BAD_FRAME, message: 'frame must be a msgpack map' };
  }
  const rec = raw as Record<string, unknown>;
  const id = typeof rec.id === 'number' && Number.isInteger(rec.id) ? rec.id : undefined;
  if (typeof rec.t !== 'string' || !CLIENT_FRAME_TYPES.has(rec.t)) {
    return {
      ok: false,
      code: ErrorCode.UNKNOWN_FRAME,
      message: `unknown frame type ${JSON.stringify(rec.t)}`,
      ...(id === undefined ? {} : { id }),
    };
  }
  const fast = acceptHotFrame(rec);
  if (fast !== undefined && lastCheckedDepth() <= MAX_VALUE_DEPTH + 1)
    return { ok: true, frame: fast };
  const parsed = clientFrameSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      code: ErrorCode.INVALID_FRAME,
      message: `invalid ${rec.t} frame: ${formatIssues(parsed.error.issues)}`,
      ...(id === undefined ? {} : { id }),
    };
  }
  const frame = parsed.data;
  if (lastCheckedDepth() > MAX_VALUE_DEPTH + 1) {
    const field = tooDeepValue(frame);
    if (field !== undefined)
      return {
        ok: false,
        code: ErrorCode.INVALID_FRAME,
        message: `invalid ${frame.t} frame: ${field}: nested deeper than ${MAX_VALUE_DEPTH} levels`,
        ...('id' in frame && frame.id !== undefined ? { id: frame.id } : {}),
      };
  }
  return { ok: true, frame };
}

/** The path of a value nested deeper than MAX_VALUE_DEPTH, if the frame carries one. */
function tooDeepValue(frame: ClientFrame): string | undefined {
  const deep = (v: unknown): boolean => valueDepth(v, MAX_VALUE_DEPTH) > MAX_VALUE_DEPTH;
  switch (frame.t) {
    case 'submit':
      return deep(frame.task.payload) ? 'task.payload' : undefined;
    case 'submit_many': {
      const i = frame.tasks.findIndex((task) => deep(task.payload));
      return i < 0 ? undefined : `tasks.${i}.payload`;
    }
    case 'progress':
      return deep(frame.value) ? 'value' : undefined;
    case 'complete':
      return deep(frame.result) ? 'result' : undefined;
    case 'fail':
      return deep(frame.error.details) ? 'error.details' : undefined;
    default:
      return undefined;
  }
}

export interface IssueLike {
  path: PropertyKey[];
  message: string;
}

/** "tasks.0.queue: must be ...; concurrency: Too big" — paths users can act on. */
export function formatIssues(issues: readonly IssueLike[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}
