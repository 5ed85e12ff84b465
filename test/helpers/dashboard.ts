/**
 * A dashboard test's world: the UI built from source into a temp dir, a real hub with auth
 * serving it on loopback, tokens of each role, a headless Chromium (/usr/bin/chromium), and
 * `shoot`, which saves a page light and dark at 1280 and 360 px wide into tmp/ui-screenshots/
 * and answers whether the 360 px page scrolls sideways (it must not).
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { mintToken } from '../../server/auth/index.js';
import type { HubOptions } from '../../server/hub/hub.js';
import { uiRoutes } from '../../server/http/ui-routes.js';
import { buildUi } from '../../scripts/build-ui.js';
import { startTestHub, type TestHub } from './hub.js';
import { restCall, type RestAnswer } from './rest-call.js';

export const DASHBOARD_SECRET = 'dashboard-test-secret-0123456789abcdef';
export const SHOTS = path.resolve('tmp/ui-screenshots');

export interface Dashboard {
  th: TestHub;
  browser: Browser;
  admin: string;
  producer: string;
  worker: string;
  /** A REST call to the hub (admin token unless another is given). */
  rest(method: string, p: string, body?: unknown, token?: string): Promise<RestAnswer>;
  /** Opens the dashboard in a new page at 1280 px and signs in; answers ms to the first page. */
  open(token: string, width?: number): Promise<{ page: Page; ms: number }>;
  /** Screenshots of the page as it is, 4 ways; answers how far the 360 px page overflows (px). */
  shoot(page: Page, name: string): Promise<number>;
  stop(): Promise<void>;
}

export async function startDashboard(overrides: Partial<HubOptions> = {}): Promise<Dashboard> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-ui-'));
  await buildUi(path.resolve('.'), dir);
  mkdirSync(SHOTS, { recursive: true });
  const th = await startTestHub(
    { auth: { enabled: true, secret: DASHBOARD_SECRET }, ...overrides },
    () => uiRoutes({ path: '/ui', dir, redirectRoot: true }),
  );
  const admin = await mintToken(DASHBOARD_SECRET, { role: 'admin', subject: 'ops' });
  const producer = await mintToken(DASHBOARD_SECRET, { role: 'producer', subject: 'app' });
  const worker = await mintToken(DASHBOARD_SECRET, { role: 'worker', subject: 'w' });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  const rest = (method: string, p: string, body?: unknown, token = admin) =>
    restCall(`${th.httpUrl}${p}`, method, { body, token });
  return {
    th,
    browser,
    admin,
    producer,
    worker,
    rest,
    async open(token, width = 1280) {
      const page = await browser.newPage({ viewport: { width, height: 800 } });
      // Every mutating action asks first; the tests say yes.
      page.on('dialog', (d) => void d.accept());
      const started = Date.now();
      await page.goto(`${th.httpUrl}/`);
      await page.fill('#token', token);
      await page.click('button[type=submit]');
      await page.waitForSelector('main');
      return { page, ms: Date.now() - started };
    },
    shoot: shootPage,
    async stop() {
      await browser.close();
      await th.stop();
    },
  };
}

/** Saves `page` light and dark at 1280 and 360 px wide; answers how far the 360 px page overflows (px). */
export async function shootPage(page: Page, name: string): Promise<number> {
  mkdirSync(SHOTS, { recursive: true });
  const before = page.viewportSize()!;
  let overflow = 0;
  for (const width of [1280, 360]) {
    await page.setViewportSize({ width, height: 800 });
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      await page.screenshot({
        path: path.join(SHOTS, `${name}-${width}-${colorScheme}.png`),
        fullPage: true,
      });
    }
    if (width === 360)
      overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - window.innerWidth,
      );
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize(before);
  return overflow;
}
