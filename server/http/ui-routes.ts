import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { ErrorCode } from '../../protocol/index.js';
import { HttpError } from './http-error.js';
import type { Route } from './router.js';

/** What the built index.html writes where the served path goes (scripts/build-ui.ts). */
export const UI_BASE_PLACEHOLDER = '__SWITCHBOARD_UI_BASE__';

export interface UiRouteOptions {
  /** Where the dashboard is served, e.g. `/ui` (server.ui.path). */
  path: string;
  /** The built files (index.html, assets/); default: dist/ui of the package. */
  dir?: string | undefined;
  /** Redirect `GET /` to the dashboard (only when no other route answers `/`). */
  redirectRoot: boolean;
}

/**
 * Headers of every dashboard answer, refusals included. The page runs only its own bundled
 * script (no inline script, no eval: a stolen-token XSS needs one of those), is never framed
 * (clickjacking of the confirm dialogs), and talks only to the hub that served it.
 * `style-src 'self'` still lets scripts set element styles (CSSOM), which uPlot does.
 */
export const UI_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
};

interface StaticFile {
  type: string;
  raw: Buffer;
  gzip: Buffer;
}

function staticFile(name: string, raw: Buffer): StaticFile {
  return {
    type: TYPES[path.extname(name)] ?? 'application/octet-stream',
    raw,
    gzip: gzipSync(raw),
  };
}

/** dist/ui of the package this file belongs to, from source (server/http) or dist (dist/server/http). */
export function defaultUiDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '../../..']) {
    const root = path.resolve(here, up);
    try {
      const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
        name?: string;
      };
      if (pkg.name === 'switchboard') return path.join(root, 'dist', 'ui');
    } catch {
      // not the package root; try the next one up
    }
  }
  return path.resolve(here, '../../ui');
}

/** The built dashboard, read once: a few hundred KiB, served from memory, gzip precomputed. */
function loadBuild(
  dir: string,
  base: string,
): { index: StaticFile; assets: Map<string, StaticFile> } | undefined {
  const indexFile = path.join(dir, 'index.html');
  if (!existsSync(indexFile)) return undefined;
  const html = readFileSync(indexFile, 'utf8').split(UI_BASE_PLACEHOLDER).join(base);
  const assets = new Map<string, StaticFile>();
  const assetDir = path.join(dir, 'assets');
  if (existsSync(assetDir))
    for (const name of readdirSync(assetDir))
      assets.set(name, staticFile(name, readFileSync(path.join(assetDir, name))));
  return { index: staticFile('index.html', Buffer.from(html)), assets };
}

function send(
  req: IncomingMessage,
  res: ServerResponse,
  file: StaticFile,
  cacheControl: string,
): void {
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? file.gzip : file.raw;
  res.writeHead(200, {
    'content-type': file.type,
    'content-length': body.length,
    'cache-control': cacheControl,
    vary: 'accept-encoding',
    ...(gzip ? { 'content-encoding': 'gzip' } : {}),
  });
  res.end(body);
}

/**
 * The dashboard's routes: the page (never cached: it names the current hashed bundles),
 * its assets (hashed names, so cached for a year), and `/` redirected to it. All open: they
 * hold no data; the page signs in with a token and calls the REST API like any client.
 */
export function uiRoutes(options: UiRouteOptions): Route[] {
  const base = options.path.replace(/\/+$/, '');
  const dir = options.dir ?? defaultUiDir();
  const build = loadBuild(dir, base);
  const headers = () => ({ ...UI_SECURITY_HEADERS });
  const notBuilt = (): never => {
    throw new HttpError(
      ErrorCode.NOT_FOUND,
      `the dashboard is not built (no ${path.join(dir, 'index.html')}): run npm run build`,
    );
  };
  const routes: Route[] = [
    {
      method: 'GET',
      path: base,
      auth: 'open',
      headers,
      handler: ({ req, res }) => {
        if (!build) return notBuilt();
        send(req, res, build.index, 'no-store');
        return undefined;
      },
    },
    {
      method: 'GET',
      path: `${base}/assets/:file`,
      auth: 'open',
      headers,
      handler: ({ req, res, params }) => {
        if (!build) return notBuilt();
        const file = build.assets.get(params.file ?? '');
        if (!file) throw new HttpError(ErrorCode.NOT_FOUND, `no dashboard asset ${params.file}`);
        send(req, res, file, 'public, max-age=31536000, immutable');
        return undefined;
      },
    },
  ];
  if (options.redirectRoot)
    routes.push({
      method: 'GET',
      path: '/',
      auth: 'open',
      headers,
      handler: ({ res }) => {
        res.writeHead(302, { location: `${base}/`, 'cache-control': 'no-store' });
        res.end();
        return undefined;
      },
    });
  return routes;
}
