import { Packr, Unpackr } from 'msgpackr';
import { Core, type Command } from './server/core/index.js';
const N = Number(process.argv[2] ?? 200000);
const core = new Core();
for (let i = 0; i < N; i += 500) {
  const tasks = [];
  for (let k = i; k < Math.min(N, i + 500); k++) tasks.push({ id: `t-${k.toString(36)}`, spec: { queue: `q${k % 4}`, payload: { n: k, body: 'x'.repeat(20) } } });
  core.apply({ type: 'task.submit', now: 1_700_000_000_000 + i, tasks } as Command);
  core.takeEffects();
}
const snap = core.snapshot();
console.log(JSON.stringify(snap.tasks[0]));
const variants: Record<string, Packr> = {
  maps: new Packr({ useRecords: false, moreTypes: false }),
  records: new Packr({ useRecords: true, moreTypes: false } as never),
  recordsSeq: new Packr({ sequential: true, moreTypes: false } as never),
};
for (let r = 0; r < 3; r++) for (const [name, p] of Object.entries(variants)) {
  const t1 = performance.now();
  const bytes = Buffer.from(p.pack(snap));
  const t2 = performance.now();
  const back = new Unpackr({ useRecords: true, mapsAsObjects: true, moreTypes: false } as never).unpack(bytes);
  const t3 = performance.now();
  const c2 = Core.restore(back);
  const t4 = performance.now();
  console.log(JSON.stringify({ name, N, MB: (bytes.length / 1e6).toFixed(1), encode: Math.round(t2 - t1), decode: Math.round(t3 - t2), restore: Math.round(t4 - t3), tasks: c2.tasks.size }));
}
