import http from 'node:http';
import fc from 'fast-check';
import t from 'tap';
import { startFuzzHub } from './fuzz-hub.js';
import { batchSeed, FUZZ_BATCH, FUZZ_REQUESTS, FUZZ_SEED, reproLine } from './fuzz-settings.js';
import { BatchChecks } from './resource-bounds.js';
import { requestArb, RestKnowledge, routeTable, sendAndJudge, toWire } from './rest-fuzzer.js';

// Fuzzing the HTTP side port of a real hub process (auth on, WAL). Reproduce a failure with
// the line printed at the start of the run.

const CONCURRENCY = 6;

t.test(
  `REST: ${FUZZ_REQUESTS} fuzzed requests get well-formed replies, never a 5xx, and leave the hub within bounds`,
  { timeout: Math.max(180_000, FUZZ_REQUESTS * 20) },
  async (t) => {
    t.comment(`fuzz seed ${FUZZ_SEED}; reproduce with: ${reproLine()}`);
    const routes = routeTable();
    t.ok(routes.length > 30, `fuzzing all ${routes.length} routes`);
    const arb = requestArb(routes);
    const hub = await startFuzzHub('uws');
    t.teardown(() => hub.stop());
    const port = Number(new URL(hub.httpUrl).port);
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    t.teardown(() => agent.destroy());
    const k = new RestKnowledge();
    const statuses = new Map<number, number>();
    const problems: string[] = [];
    let sent = 0;

    const checks = await BatchChecks.start(hub);
    const started = Date.now();

    for (let batch = 0; sent < FUZZ_REQUESTS; batch++) {
      const n = Math.min(FUZZ_BATCH, FUZZ_REQUESTS - sent);
      const requests = fc.sample(arb, {
        seed: batchSeed(FUZZ_SEED, 'rest', batch) | 0,
        numRuns: n,
      });
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < requests.length) {
            const r = requests[next++]!;
            const wire = toWire(r, k, hub.tokens);
            const out = await sendAndJudge(agent, port, wire, k);
            sent++;
            statuses.set(out.status, (statuses.get(out.status) ?? 0) + 1);
            if (out.problem) {
              const body = wire.body ? wire.body.toString('utf8') : '';
              problems.push(
                `${out.problem}\n  request (batch ${batch}): ${wire.method} ${wire.path.slice(0, 300)}` +
                  ` role=${r.role} content-type=${wire.headers['content-type'] ?? '(none)'}` +
                  `\n  body (${body.length} chars): ${body.slice(0, 400)}`,
              );
            }
          }
        }),
      );
      if (!(await checks.afterBatch(t, `after batch ${batch} (${sent} requests)`))) break;
      if (problems.length > 20 || hub.errorLines().length) break;
    }

    t.comment(`REST: ${sent} requests in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    t.comment(`statuses: ${JSON.stringify([...statuses].sort((a, b) => a[0] - b[0]))}`);
    checks.report(t);
    for (const p of problems.slice(0, 8)) t.fail(`${p}\n  reproduce with: ${reproLine()}`);
    if (problems.length > 8) t.fail(`… and ${problems.length - 8} more`);
    t.same(hub.errorLines().slice(0, 10), [], 'the hub logged no error (no handler failed)');
    t.ok(sent >= FUZZ_REQUESTS || problems.length > 0, `sent ${sent} requests`);
    t.ok((statuses.get(200) ?? 0) + (statuses.get(201) ?? 0) > 0, 'some requests were accepted');
  },
);
