import { chromium } from 'playwright-core';
import { existsSync } from 'node:fs';
import { startHub } from '../lib/hub.js';
import { readCpuMs } from '../lib/proc-stats.js';
import { median } from '../lib/stats.js';
import type { Result, Scenario, ScenarioContext } from '../lib/types.js';

/**
 * How long the web dashboard (docs/dashboard.md) takes to show a hub with N tasks queued, in
 * headless Chromium (/usr/bin/chromium) against the hub from dist/ (built dist/ui served on
 * the side port, development preset). Each load is a fresh browser context: the sign-in
 * page's first contentful paint, then from the sign-in click until the overview shows the
 * hub's queued count (N), then both together; the hub's CPU per load says what a dashboard
 * costs the hub. LOADS loads per run, their median reported.
 */
const LOADS = 5;
/** What the page functions use of the browser's globals. */
interface PageGlobals {
  document: { querySelector(s: string): { textContent: string | null } | null };
  performance: { getEntriesByName(name: string): { startTime: number }[] };
}
const CHROMIUM = '/usr/bin/chromium';

const scenario: Scenario = {
  name: 'switchboard-dashboard-load',
  description: `dashboard time to first render in headless Chromium, hub with 10,000 and 100,000 tasks queued (median of ${LOADS} loads)`,
  async run(ctx: ScenarioContext): Promise<Result[]> {
    const results: Result[] = [];
    for (const n of ctx.quick ? [10_000] : [10_000, 100_000]) {
      const system = 'switchboard-memory';
      const workload = `dashboard@${n}`;
      if (!existsSync(CHROMIUM)) {
        results.push({
          status: 'skipped',
          system,
          workload,
          reason: `needs ${CHROMIUM} (apt-get install -y chromium)`,
        });
        continue;
      }
      const hub = await startHub(ctx, { preset: 'development', runs: 1 });
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      try {
        const base = String(hub.peer.httpUrl);
        for (let i = 0; i < n; i += 10_000) {
          const tasks = Array.from({ length: Math.min(10_000, n - i) }, (_, j) => ({
            queue: 'bench',
            payload: { j },
          }));
          const res = await fetch(`${base}/api/v1/tasks`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ tasks }),
          });
          if (res.status !== 201) throw new Error(`submit: HTTP ${res.status}`);
        }
        ctx.log(`${workload} (run ${ctx.run}/${ctx.runs})`);
        const fcp: number[] = [];
        const data: number[] = [];
        const total: number[] = [];
        const cpu: number[] = [];
        // One untimed load first: Chromium's own start-up is not the dashboard's.
        for (let k = -1; k < LOADS; k++) {
          const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
          const page = await context.newPage();
          const c0 = readCpuMs(hub.child.pid);
          const t0 = performance.now();
          await page.goto(`${base}/ui/`);
          await page.waitForSelector('#token');
          const t1 = performance.now();
          const paint = await page.evaluate(
            () =>
              (globalThis as unknown as PageGlobals).performance.getEntriesByName(
                'first-contentful-paint',
              )[0]?.startTime ?? NaN,
          );
          // The development preset takes any token (every caller is admin).
          await page.fill('#token', 'bench');
          const t2 = performance.now();
          await page.click('button[type=submit]');
          // A function, not a string (the page's CSP forbids eval); bench/ has no DOM types.
          await page.waitForFunction(
            (want) =>
              (globalThis as unknown as PageGlobals).document.querySelector(
                '[data-stat=queued] strong',
              )?.textContent === want,
            String(n),
          );
          const t3 = performance.now();
          const c1 = readCpuMs(hub.child.pid);
          await context.close();
          if (k < 0) continue;
          fcp.push(paint);
          data.push(t3 - t2);
          total.push(t1 - t0 + (t3 - t2));
          cpu.push(c1.user + c1.system - c0.user - c0.system);
        }
        const ms = (key: string, label: string, values: number[]) => ({
          key,
          label,
          unit: 'ms',
          value: median(values),
          better: 'lower' as const,
        });
        results.push({
          status: 'ok',
          system,
          workload,
          metrics: [
            ms('fcp', 'sign-in FCP', fcp),
            ms('data', 'sign-in to numbers', data),
            ms('total', 'page + numbers', total),
            ms('hubCpu', 'hub CPU/load', cpu),
          ],
          notes: [
            `${workload}: loads of ${total.map((x) => x.toFixed(0)).join(', ')} ms (page + numbers)`,
          ],
        });
      } catch (err) {
        results.push({ status: 'failed', system, workload, reason: (err as Error).message });
      } finally {
        await browser.close();
        await hub.child.stop();
      }
    }
    return results;
  },
};

export default scenario;
