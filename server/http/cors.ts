import type { IncomingMessage } from 'node:http';
import type { CorsConfig } from '../config/cors-schema.js';

export type CorsHeaders = (req: IncomingMessage) => Record<string, string> | undefined;

/**
 * The CORS headers for a request's Origin, when `cors.origins` allows it (a Route's
 * `headers`: on every answer, refusals included, so a page can read why it was refused).
 * Another origin gets only `vary`; no origins configured: no function, no headers at all.
 */
export function corsHeaders(cors: CorsConfig, methods: string): CorsHeaders | undefined {
  if (cors.origins.length === 0) return undefined;
  const any = cors.origins.includes('*');
  const allowed = new Set(cors.origins);
  return (req): Record<string, string> => {
    const origin = req.headers.origin;
    if (origin === undefined || (!any && !allowed.has(origin))) return { vary: 'Origin' };
    return {
      'access-control-allow-origin': any ? '*' : origin,
      vary: 'Origin',
      'access-control-allow-methods': methods,
      'access-control-allow-headers': 'authorization, content-type, last-event-id',
      'access-control-expose-headers': 'retry-after',
      'access-control-max-age': String(cors.maxAgeSeconds),
    };
  };
}
