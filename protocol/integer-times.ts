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

/** Hub and client frame fields (by frame type) that are written as int64 when large. */
export const INTEGER_TIME_FIELDS: Readonly<Record<string, readonly string[]>> = {
  [FrameType.task]: TASK_FRAME_TIMES,
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
