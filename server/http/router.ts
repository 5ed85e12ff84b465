import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Grant } from '../auth/index.js';
import type { Caller } from '../gateway/caller.js';
import type { BodyDecoder } from './read-json-body.js';
import type { RouteDoc } from './route-doc.js';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Set by the auth step for routes that are not open. */
  grant: Grant | undefined;
  /** Parsed JSON body (undefined when there is none). Validate before use. */
  body: unknown;
}

/** What a handler returns: a JSON body (status 200 unless given), or nothing when it wrote the response itself. */
export type RouteResult = { status?: number; body: unknown } | undefined;
export type RouteHandler = (ctx: RequestContext) => RouteResult | Promise<RouteResult>;

export interface Route {
  method: string;
  /** e.g. /api/v1/tasks/:id */
  path: string;
  /** 'open' needs no token; otherwise the roles allowed (admin always is). */
  auth: 'open' | ('worker' | 'producer' | 'admin')[];
  handler: RouteHandler;
  /** Its schemas and summary, for the OpenAPI document (GET /api/v1/openapi.json). */
  doc?: RouteDoc;
  /** Headers for every answer of this route, refusals included (CORS). */
  headers?: (req: IncomingMessage) => Record<string, string> | undefined;
  /** Its own body limit, instead of the side port's (`server.maxFrameBytes`). */
  maxBodyBytes?: number;
  /** Its own reading of the body, tried before JSON.parse (read-json-body.ts). */
  decodeBody?: BodyDecoder;
}

interface Compiled {
  route: Route;
  parts: string[];
}

/** A small exact-segment router: `:name` captures one segment. Enough for a REST API. */
export class Router {
  private readonly routes: Compiled[] = [];

  add(route: Route): void {
    this.routes.push({ route, parts: route.path.split('/').filter(Boolean) });
  }

  addAll(routes: Route[]): void {
    for (const r of routes) this.add(r);
  }

  /**
   * The matched route and params; when only the method failed, `methods` lists what the
   * path allows and `others` the routes that do.
   */
  match(
    method: string,
    pathname: string,
  ): { route?: Route; params: Record<string, string>; methods: string[]; others: Route[] } {
    const segs = pathname.split('/').filter(Boolean);
    const methods: string[] = [];
    const others: Route[] = [];
    for (const c of this.routes) {
      if (c.parts.length !== segs.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segs.length; i++) {
        const p = c.parts[i]!;
        if (p.startsWith(':')) {
          try {
            params[p.slice(1)] = decodeURIComponent(segs[i]!);
          } catch {
            ok = false;
            break;
          }
        } else if (p !== segs[i]) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      if (c.route.method === method) return { route: c.route, params, methods, others };
      methods.push(c.route.method);
      others.push(c.route);
    }
    return { params: {}, methods, others };
  }
}

/**
 * The gateway's view of an authenticated request. Routes that are not open always have a
 * grant (the open grant in the development preset).
 */
export function callerOf(ctx: RequestContext): Caller {
  if (!ctx.grant)
    throw new Error(`route ${ctx.req.method} ${ctx.req.url} is open; it has no caller`);
  return { grant: ctx.grant };
}
