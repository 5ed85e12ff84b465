/**
 * The SDK in a browser. The package's entry bundled by esbuild for browsers holds no server
 * code (uWebSockets.js, ssh2, pino, ...) and no static import of a Node builtin or `ws`
 * (those are reached only by dynamic imports a browser never runs). Loaded in a real
 * headless Chromium, its Producer gets results from a Node worker, its Worker runs a Node
 * producer's tasks, and behind a proxy that refuses upgrades it works over HTTP.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { chromium } from 'playwright-core';
import { Producer, Worker } from '../../index.js';
import { mintToken } from '../../server/auth/index.js';
import { buildClientBundle, type ClientBundle } from '../../scripts/build-client-bundle.js';
import { startTestHub } from '../helpers/hub.js';
import { requireTool } from '../helpers/requires.js';
import { startUpgradeProxy } from '../helpers/upgrade-proxy.js';

const SECRET = 'browser-bundle-secret-0123456789abcdef';
/** What the bundle may import at run time, and only dynamically (Node, TLS options). */
const DYNAMIC_ONLY = new Set(['ws', 'node:http', 'node:https', 'node:stream']);
/** Packages the bundle may contain. */
const ALLOWED_PACKAGES = new Set(['zod', 'msgpackr']);
/** Bounds on the bundle, minified: a change that pulls in much more fails here. */
const MAX_BYTES = 260_000;
const MAX_GZIP_BYTES = 85_000;

let bundle: ClientBundle;

t.before(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-bundle-'));
  bundle = await buildClientBundle(path.resolve('.'), path.join(dir, 'switchboard.js'));
});

t.test('the browser bundle holds no server code and no static Node import', async (t) => {
  const inputs = Object.keys(bundle.metafile.inputs);
  const packages = new Set(
    inputs
      .filter((f) => f.includes('node_modules/'))
      .map((f) => {
        const rest = f.split('node_modules/').pop()!.split('/');
        return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
      }),
  );
  t.same(
    [...packages].filter((p) => !ALLOWED_PACKAGES.has(p)),
    [],
    `only ${[...ALLOWED_PACKAGES].join(' and ')} from node_modules (${[...packages].join(', ')})`,
  );
  for (const banned of ['uWebSockets.js', 'ssh2', 'pino', 'ink', 'react', 'prom-client'])
    t.notOk(packages.has(banned), `no ${banned}`);
  t.same(
    inputs.filter((f) => f.startsWith('server/') || f.startsWith('bench/')),
    [],
    'no server or bench source',
  );
  const external = Object.entries(bundle.metafile.inputs).flatMap(([file, input]) =>
    input.imports.filter((i) => i.external).map((i) => ({ file, ...i })),
  );
  const staticNode = external.filter((i) => i.kind !== 'dynamic-import');
  t.same(staticNode, [], 'no static import of anything outside the bundle');
  t.same(
    external.filter((i) => !DYNAMIC_ONLY.has(i.path)),
    [],
    `dynamic imports only of ${[...DYNAMIC_ONLY].join(', ')}`,
  );
  const text = readFileSync(bundle.file, 'utf8');
  t.notMatch(text, /from\s*["']node:/, 'no node: import statement in the output');
  t.comment(`bundle: ${bundle.bytes} B, ${bundle.gzipBytes} B gzip`);
  t.ok(bundle.bytes < MAX_BYTES, `under ${MAX_BYTES} B minified (${bundle.bytes})`);
  t.ok(bundle.gzipBytes < MAX_GZIP_BYTES, `under ${MAX_GZIP_BYTES} B gzip (${bundle.gzipBytes})`);
});

/** The page: the bundle as an ES module, its exports on window for the test to drive. */
function servePage(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.url === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      `<!doctype html><html><head><meta charset="utf-8"><title>sdk</title></head><body>` +
        `<script type="module">import * as sb from '/switchboard.js'; window.sb = sb; window.ready = true;</script>` +
        `</body></html>`,
    );
    return true;
  }
  if (req.url === '/switchboard.js') {
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
    res.end(readFileSync(bundle.file));
    return true;
  }
  return false;
}

if (requireTool('chromium')) {
  t.test('in Chromium: a Producer and a Worker of the bundle against a real hub', async (t) => {
    const th = await startTestHub({ auth: { enabled: true, secret: SECRET } });
    // The page's own origin: a proxy that serves it and passes everything else to the hub.
    const site = await startUpgradeProxy(th, 'pass', servePage);
    const behindRefusal = await startUpgradeProxy(th, 'refuse', servePage);
    const workerToken = await mintToken(SECRET, { role: 'worker', subject: 'node-worker' });
    const producerToken = await mintToken(SECRET, { role: 'producer' });
    const nodeWorker = new Worker(
      { url: th.wsUrl, token: workerToken, queues: ['from-browser'], concurrency: 4 },
      (task) => {
        task.progress({ step: 1 });
        return { doubled: (task.payload as { n: number }).n * 2, by: 'node' };
      },
    );
    await nodeWorker.start();
    const nodeProducer = new Producer({ url: th.wsUrl, token: producerToken });
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox'],
    });
    t.teardown(async () => {
      await browser.close();
      await nodeProducer.close();
      await nodeWorker.close({ timeoutMs: 500 });
      await site.close();
      await behindRefusal.close();
      await th.stop();
    });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(site.httpUrl);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);

    // A Producer in the page, a Node worker: results come back over the browser's WebSocket.
    const got = await page.evaluate(
      async ({ url, token }) => {
        const { Producer } = (window as unknown as { sb: typeof import('../../index.js') }).sb;
        const producer = new Producer({ url, token });
        const statuses: string[] = [];
        producer.on('status', (s) => statuses.push(s.type));
        const ids = [];
        for (let n = 1; n <= 5; n++) ids.push((await producer.submit('from-browser', { n })).id);
        const results = await Promise.all(ids.map((id) => producer.result(id)));
        await producer.close();
        return { results, statuses };
      },
      { url: th.wsUrl, token: producerToken },
    );
    t.same(
      got.results,
      [1, 2, 3, 4, 5].map((n) => ({ doubled: n * 2, by: 'node' })),
      'five results from the Node worker',
    );
    t.ok(got.statuses.includes('connected'), 'the page producer had a WebSocket session');

    // A Worker in the page, a Node producer.
    await page.evaluate(
      async ({ url, token }) => {
        const w = window as unknown as {
          sb: typeof import('../../index.js');
          pageWorker?: { close(o?: object): Promise<void> };
        };
        const worker = new w.sb.Worker(
          { url, token, queues: ['in-browser'], concurrency: 2 },
          (task) => ({
            upper: String((task.payload as { s: string }).s).toUpperCase(),
            by: 'page',
          }),
        );
        await worker.start();
        w.pageWorker = worker;
      },
      { url: th.wsUrl, token: workerToken },
    );
    const { id } = await nodeProducer.submit('in-browser', { s: 'hello' });
    t.same(
      await nodeProducer.result(id, { timeoutMs: 10_000 }),
      { upper: 'HELLO', by: 'page' },
      'the page worker ran a Node producer’s task',
    );
    await page.evaluate(async () => {
      await (
        window as unknown as { pageWorker: { close(o?: object): Promise<void> } }
      ).pageWorker.close({ timeoutMs: 500 });
    });

    // Behind a proxy that refuses upgrades: the page falls back to HTTP (same origin).
    const page2 = await browser.newPage();
    page2.on('pageerror', (e) => errors.push(e.message));
    await page2.goto(behindRefusal.httpUrl);
    await page2.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    const fb = await page2.evaluate(
      async ({ url, httpUrl, token }) => {
        const { Producer } = (window as unknown as { sb: typeof import('../../index.js') }).sb;
        const producer = new Producer({
          url,
          token,
          reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
          httpFallback: { httpUrl, retryWebSocketMs: 0, pollWaitMs: 5000 },
        });
        const statuses: string[] = [];
        producer.on('status', (s) => statuses.push(s.type));
        const { id } = await producer.submit('from-browser', { n: 21 });
        const progress: unknown[] = [];
        producer.onProgress(id, (v) => progress.push(v));
        const result = await producer.result(id);
        await producer.close();
        return { result, statuses };
      },
      { url: behindRefusal.wsUrl, httpUrl: behindRefusal.httpUrl, token: producerToken },
    );
    t.same(fb.result, { doubled: 42, by: 'node' }, 'a result over the HTTP fallback');
    t.ok(fb.statuses.includes('fallback'), 'the page producer reported fallback');
    t.notOk(fb.statuses.includes('connected'), 'and never had a WebSocket session');

    // A page without WebSocket at all (removed before the SDK first connects): HTTP only.
    const page3 = await browser.newPage();
    page3.on('pageerror', (e) => errors.push(e.message));
    await page3.addInitScript(() => {
      delete (window as unknown as { WebSocket?: unknown }).WebSocket;
    });
    await page3.goto(site.httpUrl);
    await page3.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    const bare = await page3.evaluate(
      async ({ url, httpUrl, token }) => {
        const { Producer } = (window as unknown as { sb: typeof import('../../index.js') }).sb;
        const producer = new Producer({ url, token, httpFallback: { httpUrl } });
        const statuses: { type: string; reason?: string }[] = [];
        producer.on('status', (s) =>
          statuses.push({ type: s.type, ...('reason' in s ? { reason: s.reason } : {}) }),
        );
        const { id } = await producer.submit('from-browser', { n: 5 });
        const result = await producer.result(id);
        await producer.close();
        return { result, statuses };
      },
      { url: site.wsUrl, httpUrl: site.httpUrl, token: producerToken },
    );
    t.same(bare.result, { doubled: 10, by: 'node' }, 'a result without any WebSocket');
    t.match(
      bare.statuses.find((s) => s.type === 'fallback'),
      { reason: /no WebSocket/ },
      'fallback, saying there is no WebSocket',
    );
    t.same(errors, [], 'no page errors');
  });
}
