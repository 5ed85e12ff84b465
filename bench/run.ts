import { writeFileSync } from 'node:fs';
import { aggregate } from './lib/aggregate.js';
import { killAllChildren } from './lib/child-process.js';
import { parseRunnerOptions, USAGE, type RunnerOptions } from './lib/cli-options.js';
import { buildTables, detailLines, renderText } from './lib/format-table.js';
import { machineInfo } from './lib/machine.js';
import type { BenchReport } from './lib/report-types.js';
import { loadScenarios } from './lib/scenarios.js';
import type { Result, Scenario } from './lib/types.js';
import { writeBenchDoc, DOC_PATH } from './report.js';

/**
 * The one benchmark runner: `npm run bench -- [--only a,b] [--runs N] [--quick] [--json f] [--md]`.
 * Runs interleave (run 1 of every scenario, then run 2, ...) so drift on the machine spreads
 * over all systems instead of biasing one. A scenario that reports SKIPPED is not retried.
 */
const log = (msg: string): void => void process.stderr.write(`${msg}\n`);

async function runAll(
  opts: RunnerOptions,
  scenarios: readonly Scenario[],
): Promise<Map<string, Result[]>> {
  const results = new Map<string, Result[]>(scenarios.map((s) => [s.name, []]));
  const skipped = new Set<string>();
  for (let run = 1; run <= opts.runs; run++) {
    for (const s of scenarios) {
      if (skipped.has(s.name)) continue;
      let out: Result[];
      try {
        out = await s.run({
          run,
          runs: opts.runs,
          quick: opts.quick,
          options: opts.workload,
          log: (m) => log(`• ${m}`),
        });
      } catch (err) {
        out = [
          { status: 'failed', workload: '(all)', system: s.name, reason: (err as Error).message },
        ];
      }
      for (const r of out)
        if (r.status !== 'ok')
          log(`!! ${s.name} ${r.workload}: ${r.status.toUpperCase()} — ${r.reason}`);
      if (out.length > 0 && out.every((r) => r.status === 'skipped')) skipped.add(s.name);
      results.get(s.name)!.push(...out);
    }
  }
  return results;
}

async function main(): Promise<void> {
  const opts = parseRunnerOptions(process.argv.slice(2));
  if (opts.help) return void process.stdout.write(USAGE);
  const all = await loadScenarios();
  if (opts.list) {
    for (const s of all) process.stdout.write(`${s.name.padEnd(30)} ${s.description}\n`);
    return;
  }
  const unknown = (opts.only ?? []).filter((n) => !all.some((s) => s.name === n));
  if (unknown.length) throw new Error(`unknown scenario(s): ${unknown.join(', ')} (see --list)`);
  const scenarios = opts.only ? all.filter((s) => opts.only!.includes(s.name)) : all;
  const machine = await machineInfo();
  log(
    `bench: ${scenarios.length} scenario(s) × ${opts.runs} run(s) on ${machine.cpuModel} (${machine.cores} cores), node ${machine.node}`,
  );
  const results = await runAll(opts, scenarios);
  const report: BenchReport = {
    version: 1,
    generatedAt: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    runs: opts.runs,
    quick: opts.quick,
    options: opts.workload,
    machine,
    rows: aggregate(results),
  };
  process.stdout.write(`\n${renderText(buildTables(report.rows))}`);
  for (const line of detailLines(report.rows)) process.stdout.write(`${line}\n`);
  const failedOrSkipped = report.rows.filter((r) => r.status !== 'ok');
  if (failedOrSkipped.length) {
    process.stdout.write(
      `\n${failedOrSkipped.length} row(s) SKIPPED or FAILED — see the reasons above.\n`,
    );
  }
  if (opts.json) {
    writeFileSync(opts.json, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${opts.json}`);
  }
  if (opts.md) {
    await writeBenchDoc(report);
    log(`wrote ${DOC_PATH}`);
  }
}

process.on('exit', killAllChildren);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killAllChildren();
    process.exit(130);
  });
}
main().catch((err: unknown) => {
  log(`bench: ${(err as Error).message}`);
  killAllChildren();
  process.exit(1);
});
