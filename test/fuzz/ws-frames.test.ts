import t from 'tap';
import { sampleScenarios } from './frame-arbitraries.js';
import { startFuzzHub, type ResourceSample } from './fuzz-hub.js';
import { batchSeed, FUZZ_BATCH, FUZZ_FRAMES, FUZZ_SEED, reproLine } from './fuzz-settings.js';
import { Knowledge, newStats, playAll, playScenario, type Finding } from './ws-fuzzer.js';
import { checkBounds, formatSample } from './resource-bounds.js';

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
      await hub.probe();
      const before: ResourceSample = await hub.resources();
      let baseline: ResourceSample | undefined;
      let last = before;
      const started = Date.now();
      let swept = 0;

      for (let batch = 0; stats.frames < FUZZ_FRAMES; batch++) {
        const want = Math.min(FUZZ_BATCH, FUZZ_FRAMES - stats.frames);
        const scenarios = sampleScenarios(batchSeed(FUZZ_SEED, 'ws-frames', batch), want);
        await playAll(scenarios, CONCURRENCY, (s) =>
          playScenario(hub.wsUrl, s, hub.tokens, knowledge, stats, findings),
        );
        const where = `after batch ${batch} (${stats.frames} frames)`;
        try {
          await hub.probe();
        } catch (err) {
          t.fail(`${where}: the hub failed its probe: ${(err as Error).message}`);
          break;
        }
        swept += await hub.sweepTasks();
        last = await hub.resources();
        // The first batch warms up (JIT, schema caches, buffers, the first leases and
        // finished tasks); every later one is held to its figures.
        if (baseline === undefined) baseline = last;
        const over = checkBounds(baseline, last);
        if (over) {
          t.fail(`${where}: ${over}`);
          break;
        }
        const errors = hub.errorLines();
        if (findings.length || errors.length) break;
      }

      const seconds = (Date.now() - started) / 1000;
      t.comment(
        `${transport}: ${stats.frames} frames in ${stats.scenarios} connections, ${stats.replies} replies, ` +
          `${seconds.toFixed(1)} s; ${swept} unfinished tasks swept`,
      );
      t.comment(`resources before: ${formatSample(before)}`);
      t.comment(`after warm-up:    ${formatSample(baseline ?? before)}`);
      t.comment(`at the end:       ${formatSample(last)}`);
      t.comment(
        `close codes: ${JSON.stringify([...stats.closeCodes].sort((a, b) => a[0] - b[0]))}`,
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
