import { FrameType } from './frame-types.js';

/**
 * Times and durations are integers on the wire (docs/protocol.md §1), but msgpackr writes
 * any integer beyond 32 bits as float64 and has no option to do otherwise; a BigInt it
 * writes as int64 (`0xd3`). So the few fields that carry times, and durations that may pass
 * 2^32 ms (49.7 days), go to the encoder as BigInt. Only those fields: a walk over payloads
 * would cost every frame, and payloads are the sender's own values.
 */
const TASK_SPEC_TIMES = ['runAt', 'delayMs', 'ttlMs'] as const;
const TASK_FRAME_TIMES = ['createdAt'] as const;
const MESSAGE_FRAME_TIMES = ['at'] as const;

/** Hub and client frame fields (by frame type) that are written as int64 when large. */
export const INTEGER_TIME_FIELDS: Readonly<Record<string, readonly string[]>> = {
  [FrameType.task]: TASK_FRAME_TIMES,
  [FrameType.message]: MESSAGE_FRAME_TIMES,
  [`${FrameType.submit}.task`]: TASK_SPEC_TIMES,
  [`${FrameType.submitMany}.tasks[]`]: TASK_SPEC_TIMES,
};

const beyond32Bits = (v: unknown): v is number =>
  typeof v === 'number' && (v > 0xffffffff || v < -0x80000000) && Number.isSafeInteger(v);

/** The object itself when no listed field needs widening (the common case: no copy). */
function widen<T extends object>(obj: T, keys: readonly string[]): T {
  let out: Record<string, unknown> | undefined;
  for (const key of keys) {
    const v = (obj as Record<string, unknown>)[key];
    if (beyond32Bits(v)) (out ??= { ...(obj as Record<string, unknown>) })[key] = BigInt(v);
  }
  return (out as T | undefined) ?? obj;
}

/** The frame to hand to msgpackr: `frame`, or a shallow copy whose time fields are BigInt. */
export function withIntegerTimes(frame: object): object {
  const f = frame as { t?: unknown; task?: unknown; tasks?: unknown };
  switch (f.t) {
    case FrameType.task:
      return widen(frame, TASK_FRAME_TIMES);
    case FrameType.message:
      return widen(frame, MESSAGE_FRAME_TIMES);
    case FrameType.submit: {
      if (typeof f.task !== 'object' || f.task === null) return frame;
      const task = widen(f.task, TASK_SPEC_TIMES);
      return task === f.task ? frame : { ...frame, task };
    }
    case FrameType.submitMany: {
      if (!Array.isArray(f.tasks)) return frame;
      let tasks: unknown[] | undefined;
      for (let i = 0; i < f.tasks.length; i++) {
        const spec: unknown = f.tasks[i];
        if (typeof spec !== 'object' || spec === null) continue;
        const wide = widen(spec, TASK_SPEC_TIMES);
        if (wide !== spec) (tasks ??= [...(f.tasks as unknown[])])[i] = wide;
      }
      return tasks ? { ...frame, tasks } : frame;
    }
    default:
      return frame;
  }
}

const scratch = new Float64Array(1);
const scratchBytes = new Uint8Array(scratch.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Whether bytes[at..at+8] hold `v` as a big-endian float64. */
function isFloat64At(bytes: Uint8Array, at: number, v: number): boolean {
  scratch[0] = v;
  for (let i = 0; i < 8; i++) {
    if (bytes[at + i] !== scratchBytes[littleEndian ? 7 - i : i]) return false;
  }
  return true;
}

/** Write the safe integer `v` at bytes[at..at+7] as a big-endian two's-complement int64. */
function writeInt64At(bytes: Uint8Array, at: number, v: number): void {
  const hi = Math.floor(v / 0x100000000);
  const lo = v - hi * 0x100000000;
  for (let i = 3; i >= 0; i--) {
    bytes[at + i] = (hi >>> ((3 - i) * 8)) & 0xff;
    bytes[at + 4 + i] = (lo >>> ((3 - i) * 8)) & 0xff;
  }
}

/**
 * Pack `frame` with its time fields as integers. The hub's most frequent frames, `task` and
 * `message`, end with their time (`createdAt`, `at`: toTaskFrame and the bus build them so):
 * msgpackr writes it as `cb` + float64, the same 9 bytes as `d3` + int64, so it is rewritten
 * in place rather than copying the frame first. Only when the last 9 bytes are exactly that
 * float: any other layout takes the copy.
 */
export function packWithIntegerTimes(
  pack: (value: object) => Uint8Array,
  frame: object,
): Uint8Array {
  const f = frame as { t?: unknown; createdAt?: unknown; at?: unknown };
  const last = f.t === FrameType.task ? f.createdAt : f.t === FrameType.message ? f.at : undefined;
  if (beyond32Bits(last)) {
    const bytes = pack(frame);
    const at = bytes.byteLength - 9;
    if (at > 0 && bytes[at] === 0xcb && isFloat64At(bytes, at + 1, last)) {
      bytes[at] = 0xd3;
      writeInt64At(bytes, at + 1, last);
      return bytes;
    }
  }
  return pack(withIntegerTimes(frame));
}
