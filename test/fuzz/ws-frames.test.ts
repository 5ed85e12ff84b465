import t from 'tap';
import { sampleScenarios } from './frame-arbitraries.js';
import { startFuzzHub } from './fuzz-hub.js';
import { batchSeed, FUZZ_BATCH, FUZZ_FRAMES, FUZZ_SEED, reproLine } from './fuzz-settings.js';
import { Knowledge, newStats, playAll, playScenario, type Finding } from './ws-fuzzer.js';
import { BatchChecks } from './resource-bounds.js';

// Fuzzing the WebSocket port of a real hub process (auth on, several tokens, WAL) on both
// transports. Reproduce a failure with the line printed at the start of the run.

/** Scenarios in flight at once: enough to interleave sessions, few enough for 2 cores. */
const CONCURRENCY = 8;

for (const transport of ['uws', 'ws'] as const) {
  t.test(
    `${transport}: ${FUZZ_FRAMES} fuzzed frames leave the hub alive, serving and within bounds`,
    { timeout: Math.max(180_000, FUZZ_FRAMES * 10) },
    async (t) => {
      t.comment(`fuzz seed ${FUZZ_SEED}; reproduce with: ${reproLine()}`);
      const hub = await startFuzzHub(transport);
      t.teardown(() => hub.stop());
      const knowledge = new Knowledge();
      const stats = newStats();
      const findings: Finding[] = [];
      const checks = await BatchChecks.start(hub);
      const started = Date.now();

      for (let batch = 0; stats.frames < FUZZ_FRAMES; batch++) {
        const want = Math.min(FUZZ_BATCH, FUZZ_FRAMES - stats.frames);
        const scenarios = sampleScenarios(batchSeed(FUZZ_SEED, 'ws-frames', batch), want);
        await playAll(scenarios, CONCURRENCY, (s) =>
          playScenario(hub.wsUrl, s, hub.tokens, knowledge, stats, findings),
        );
        if (!(await checks.afterBatch(t, `after batch ${batch} (${stats.frames} frames)`))) break;
        const errors = hub.errorLines();
        if (findings.length || errors.length) break;
      }

      const seconds = (Date.now() - started) / 1000;
      t.comment(
        `${transport}: ${stats.frames} frames in ${stats.scenarios} connections, ${stats.replies} replies, ` +
          `${seconds.toFixed(1)} s; ${checks.swept} unfinished tasks swept`,
      );
      checks.report(t);
      t.comment(
        `close codes: ${JSON.stringify([...stats.closeCodes].sort((a, b) => a[0] - b[0]))}` +
          ` (1006 after a reset while still sending: ${stats.resetAfterClose})`,
      );
      t.comment(
        `error codes: ${JSON.stringify([...stats.errorCodes].sort((a, b) => b[1] - a[1]))}`,
      );

      for (const f of findings.slice(0, 5)) {
        t.fail(`${f.kind}: ${f.detail}\nreproduce with: ${reproLine()}\n${f.scenario}`);
      }
      if (findings.length > 5) t.fail(`… and ${findings.length - 5} more findings`);
      const errors = hub.errorLines();
      t.same(
        errors.slice(0, 10),
        [],
        'the hub logged no error (no handler threw, no session failed)',
      );
      t.ok(stats.frames >= FUZZ_FRAMES || findings.length > 0, `sent ${stats.frames} frames`);
      t.ok(stats.replies > stats.scenarios, 'the hub answered the fuzzed frames');
    },
  );
}
