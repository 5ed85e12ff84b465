import { NoHubAnsweredError } from '../fetch-from-hubs.js';
import type { TlsClientOptions } from '../hub-fetch.js';
import type { HubUrls } from '../hub-urls.js';
import { HubPoller, MonitorError } from './hub-poller.js';
import { renderText } from './render-text.js';

export interface MonitorOptions {
  /**
   * HTTP side port, e.g. http://127.0.0.1:9500, or several hubs of one cluster (an array or
   * comma-separated): read in turn, moving on when one gives no answer.
   */
  url: HubUrls;
  token?: string | undefined;
  /** https://: the CA to trust and a client certificate (mutual TLS). */
  tls?: TlsClientOptions | undefined;
  once?: boolean;
  json?: boolean;
  refreshMs?: number;
}

/**
 * `switchboard monitor`. Returns the exit code: 0, 3 when the hub cannot be reached at
 * start, 4 when it refuses the token. Problems are one line on stderr, never a stack trace.
 */
export async function runMonitor(options: MonitorOptions): Promise<number> {
  let poller: HubPoller;
  try {
    poller = new HubPoller(options.url, options.token, options.refreshMs ?? 1000, options.tls);
  } catch (err) {
    process.stderr.write(`switchboard monitor: ${(err as Error).message}\n`);
    return 2;
  }
  try {
    await poller.poll();
  } catch (err) {
    const code = err instanceof MonitorError ? err.exitCode : 3;
    const many = poller.hubs.size > 1;
    const cause =
      err instanceof NoHubAnsweredError && !many
        ? err.failures[0]!.reason
        : (err as { cause?: { code?: string } }).cause?.code;
    const msg =
      err instanceof MonitorError
        ? `unauthorized: ${err.message}`
        : many
          ? `cannot reach any hub of ${poller.hubs}: ${(err as Error).message}`
          : `cannot reach ${poller.url}: ${cause ?? (err as Error).message}`;
    process.stderr.write(`switchboard monitor: ${msg}\n`);
    return code;
  }
  if (options.once || options.json) {
    // A second sample a moment later gives the rates something to compare.
    await new Promise((r) => setTimeout(r, 1000));
    const snap = await poller.poll();
    process.stdout.write(
      options.json
        ? `${JSON.stringify(snap, null, 2)}\n`
        : `${renderText(snap, process.stdout.columns || 120)}\n`,
    );
    return 0;
  }
  // ink decides at import time, from CI/CONTINUOUS_INTEGRATION, to draw only the final
  // frame; an operator at a real terminal (a CI runner's shell, a tmux pane) wants the
  // live view, so a TTY wins over those variables. Hence ink is imported here, lazily.
  if (process.stdout.isTTY) {
    delete process.env.CI;
    delete process.env.CONTINUOUS_INTEGRATION;
  }
  const [{ render }, { MonitorApp }] = await Promise.all([
    import('ink'),
    import('./monitor-app.js'),
  ]);
  let fatal: MonitorError | undefined;
  const app = render(<MonitorApp poller={poller} />, { exitOnCtrlC: true });
  poller.on('fatal', (err: MonitorError) => {
    fatal = err;
    app.unmount();
  });
  poller.start();
  await app.waitUntilExit();
  poller.stop();
  if (fatal) {
    process.stderr.write(`switchboard monitor: unauthorized: ${fatal.message}\n`);
    return fatal.exitCode;
  }
  return 0;
}
