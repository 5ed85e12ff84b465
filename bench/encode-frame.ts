/**
 * encodeFrame micro-benchmark, in one process: ns per frame for the frames the hub sends
 * most (task, result, ack) and the producer's submit / submit_many, so a change to the
 * encoder (e.g. writing times as int64) can be weighed against what it costs.
 *
 *   npx tsc -p . && node dist/bench/encode-frame.js [--frames 2000000] [--runs 5]
 *
 * Prints one line per frame kind: the median of `--runs` runs and the spread (min-max), for
 * encodeFrame and, interleaved in the same runs, for a bare msgpackr Packr with the codec's
 * options (what encodeFrame was before it wrote times as int64): the difference is the cost
 * of the time-field check.
 */
import { Packr } from 'msgpackr';
import { encodeFrame } from '../protocol/index.js';

const bare = new Packr({ useRecords: false, structuredClone: false, moreTypes: false });
const encoders: Record<string, (frame: object) => Uint8Array> = {
  encodeFrame,
  'bare packr': (frame) => bare.pack(frame),
};

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};

const NOW = 1_795_407_419_443;
const payload = { to: 'ada@example.com', subject: 'Welcome', n: 42 };

const kinds: Record<string, object> = {
  task: {
    t: 'task',
    taskId: 'k3xQz1-1a2b',
    queue: 'emails',
    payload,
    attempt: 1,
    maxAttempts: 3,
    priority: 'normal',
    timeoutMs: 0,
    createdAt: NOW,
  },
  result: {
    t: 'result',
    taskId: 'k3xQz1-1a2b',
    status: 'completed',
    attempts: 1,
    result: { sent: true },
  },
  ack: { t: 'ack', id: 12345 },
  submit: { t: 'submit', id: 7, task: { queue: 'emails', payload, runAt: NOW + 60_000 } },
  submit_many_100: {
    t: 'submit_many',
    id: 8,
    tasks: Array.from({ length: 100 }, (_, i) => ({ queue: 'emails', payload: { n: i } })),
  },
};

function measure(encode: (frame: object) => Uint8Array, frame: object, frames: number): number {
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < frames; i++) sink += encode(frame).byteLength;
  const ns = Number(process.hrtime.bigint() - start);
  if (sink === 0) throw new Error('nothing encoded');
  return ns / frames;
}

const frames = arg('--frames', 2_000_000);
const runs = arg('--runs', 5);
for (const [name, frame] of Object.entries(kinds)) {
  const n = name.startsWith('submit_many') ? Math.max(1, Math.floor(frames / 100)) : frames;
  const samples: Record<string, number[]> = {};
  for (const [label, encode] of Object.entries(encoders)) {
    measure(encode, frame, Math.min(n, 100_000)); // warm up: let the JIT settle before timing
    samples[label] = [];
  }
  for (let r = 0; r < runs; r++) {
    for (const [label, encode] of Object.entries(encoders))
      samples[label]!.push(measure(encode, frame, n));
  }
  for (const [label, list] of Object.entries(samples)) {
    list.sort((a, b) => a - b);
    const median = list[Math.floor(list.length / 2)]!;
    console.log(
      `${name.padEnd(16)} ${label.padEnd(11)} ${median.toFixed(1).padStart(8)} ns/frame  ` +
        `(${list[0]!.toFixed(1)}-${list[list.length - 1]!.toFixed(1)}, ` +
        `${encoders[label]!(frame).byteLength} bytes, ${n} frames x ${runs} runs)`,
    );
  }
}
