import { runQuick } from './quick.js';

/** `switchboard bench --quick [--url ws://…] [--token T] [--tasks N] [--json]` */
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
try {
  const r = await runQuick({
    url: flag('--url') ?? 'ws://127.0.0.1:9501',
    token: flag('--token') ?? process.env.SWITCHBOARD_TOKEN,
    tasks: Number(flag('--tasks') ?? 1000),
  });
  process.stdout.write(
    args.includes('--json')
      ? `${JSON.stringify(r)}\n`
      : `${r.tasks} tasks in ${r.seconds} s: ${r.opsPerSec} ops/s, average latency ${r.avgLatencyMs} ms (submit → result)\n`,
  );
  process.exit(0);
} catch (err) {
  process.stderr.write(`switchboard bench --quick: ${(err as Error).message}\n`);
  process.exit(1);
}
