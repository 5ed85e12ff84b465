import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { ErrorCode } from '../../protocol/index.js';
import { OPEN_GRANT, TokenError, verifyToken, hasRole, type Grant } from '../auth/index.js';
import type { Hub } from '../hub/hub.js';
import { createNodeServer, type TlsSource } from '../transport/tls-options.js';
import { requestUrl } from './client-error.js';
import { HttpError, statusForCode } from './http-error.js';
import { OperationError } from '../gateway/operation-error.js';
import { Router, type Route } from './router.js';
import { answerIfRefused, slowClientOptions } from '../transport/node-http-limits.js';
import { applyHttpLimits } from './http-limits.js';
import { readJsonBody, type BodyDecoder } from './read-json-body.js';

export interface HttpServerOptions {
  host: string;
  port: number;
  /** Largest accepted request body. */
  maxBodyBytes: number;
  /** server.tls: serve https:// (reloadable on SIGHUP). */
  tls?: TlsSource | undefined;
}

/**
 * The HTTP side port: health, readiness, metrics, the REST API and the event stream.
 * Routes are plain data (see routes/); this file does parsing, auth and error rendering.
 */
export class HttpServer {
  readonly router = new Router();
  private server: Server | HttpsServer | undefined;
  port = 0;

  constructor(
    private readonly hub: Hub,
    private readonly options: HttpServerOptions,
    routes: Route[],
  ) {
    this.router.addAll(routes);
  }

  listen(): Promise<number> {
    const limits = this.hub.limits.http;
    this.server = createNodeServer(
      this.options.tls,
      slowClientOptions(limits.headersTimeoutMs, limits.requestTimeoutMs),
      (req, res) => {
        if (answerIfRefused(req, res)) return;
        this.handle(req, res).catch((err: unknown) => this.fail(res, err));
      },
    );
    this.server.keepAliveTimeout = 5000;
    applyHttpLimits(this.server, this.hub);
    return new Promise((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.port, this.options.host, () => {
        const addr = this.server!.address();
        this.port = typeof addr === 'object' && addr ? addr.port : this.options.port;
        resolve(this.port);
      });
    });
  }

  async close(): Promise<void> {
    if (!this.server) return;
    const server = this.server;
    await new Promise<void>((r) => {
      server.close(() => r());
      server.closeIdleConnections?.();
      setTimeout(() => server.closeAllConnections?.(), 1000).unref();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req.url);
    const method = req.method ?? 'GET';
    const { route, params, methods, others } = this.router.match(
      method === 'HEAD' ? 'GET' : method,
      url.pathname,
    );
    if (!route && method === 'OPTIONS' && this.preflight(req, res, methods, others)) return;
    if (!route) {
      if (methods.length) {
        res.setHeader('allow', methods.join(', '));
        throw new HttpError(
          ErrorCode.METHOD_NOT_ALLOWED,
          `${method} is not allowed on ${url.pathname}; use ${methods.join(' or ')}`,
        );
      }
      throw new HttpError(ErrorCode.NOT_FOUND, `no route ${method} ${url.pathname}`);
    }
    const headers = route.headers?.(req);
    if (headers) for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    let grant: Grant | undefined;
    if (route.auth !== 'open') {
      // Until recovery is done the revocations are not loaded: no token can be judged yet.
      if (this.hub.phase === 'created' || this.hub.phase === 'recovering') {
        throw new HttpError(
          ErrorCode.NOT_READY,
          'the hub is recovering its state; retry shortly (GET /ready says when)',
        );
      }
      grant = await this.authenticate(req);
      if (!hasRole(grant, ...route.auth)) {
        throw new HttpError(
          ErrorCode.FORBIDDEN,
          `role ${grant.role} may not call ${method} ${route.path}`,
        );
      }
    }
    const body =
      method === 'GET' || method === 'HEAD' || method === 'DELETE'
        ? undefined
        : await this.readJson(req, res, route.maxBodyBytes, route.decodeBody);
    const out = await route.handler({ req, res, params, query: url.searchParams, grant, body });
    if (out === undefined) return;
    this.json(res, out.status ?? 200, out.body);
  }

  /**
   * A CORS preflight of a path whose routes carry CORS headers (server.cors): 204 with them,
   * the methods the path allows, before any token is judged (the browser sends none here).
   * False when the routes have no CORS headers for this origin: the 405 follows.
   */
  private preflight(
    req: IncomingMessage,
    res: ServerResponse,
    methods: string[],
    others: Route[],
  ): boolean {
    const headers = others.find((r) => r.headers)?.headers?.(req);
    if (!headers?.['access-control-allow-origin']) return false;
    const allow = [...new Set([...methods, ...(methods.includes('GET') ? ['HEAD'] : [])])];
    res.writeHead(204, {
      ...headers,
      'access-control-allow-methods': [...allow, 'OPTIONS'].join(', '),
      allow: [...allow, 'OPTIONS'].join(', '),
    });
    res.end();
    return true;
  }

  private async authenticate(req: IncomingMessage): Promise<Grant> {
    if (!this.hub.authEnabled) return OPEN_GRANT;
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    try {
      const grant = await verifyToken(this.hub.authSecret!, token);
      if (this.hub.isRevoked(grant)) throw new TokenError('token revoked', 'revoked');
      return grant;
    } catch (err) {
      this.hub.metrics.authFailures.inc();
      const reason = err instanceof TokenError ? err.message : 'token rejected';
      this.hub.log.warn(
        { remote: req.socket.remoteAddress, path: req.url?.split('?')[0], reason },
        'HTTP authentication failed',
      );
      throw new HttpError(
        ErrorCode.UNAUTHORIZED,
        `unauthorized: ${reason}; send Authorization: Bearer <token>`,
      );
    }
  }

  private readJson(
    req: IncomingMessage,
    res: ServerResponse,
    maxBodyBytes = this.options.maxBodyBytes,
    decode?: BodyDecoder,
  ): Promise<unknown> {
    return readJsonBody(
      req,
      res,
      { maxBodyBytes, maxJsonDepth: this.hub.limits.http.maxJsonDepth },
      (limit) => this.hub.metrics.limitHit(limit),
      decode,
    );
  }

  json(res: ServerResponse, status: number, body: unknown): void {
    if (res.headersSent) return;
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      // API answers are live state, often a token's view of it: no cache may keep them.
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    res.end(text);
  }

  private fail(res: ServerResponse, err: unknown): void {
    if (err instanceof OperationError) {
      this.json(res, statusForCode(err.code), { error: { code: err.code, message: err.message } });
      return;
    }
    if (err instanceof HttpError) {
      const body: { error: { code: string; message: string; details?: unknown } } = {
        error: { code: err.code, message: err.message },
      };
      if (err.details !== undefined) body.error.details = err.details;
      this.json(res, err.status, body);
      return;
    }
    this.hub.log.error({ err }, 'HTTP handler failed');
    this.json(res, statusForCode(ErrorCode.INTERNAL), {
      error: { code: ErrorCode.INTERNAL, message: 'internal error; see the hub log' },
    });
  }
}
