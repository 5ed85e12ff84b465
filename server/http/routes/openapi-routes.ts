import { z } from 'zod';
import type { Hub } from '../../hub/hub.js';
import { openApiDocument, type OpenApiDocument } from '../openapi.js';
import type { Route } from '../router.js';

const documentJson = z
  .object({
    openapi: z.literal('3.1.0'),
    info: z.object({
      title: z.string(),
      version: z.string().describe("the hub's version"),
      description: z.string(),
      license: z.object({ name: z.string(), identifier: z.string() }),
    }),
    tags: z.array(z.object({ name: z.string() })),
    paths: z.record(z.string(), z.record(z.string(), z.record(z.string(), z.unknown()))),
    components: z.object({
      schemas: z.record(z.string(), z.record(z.string(), z.unknown())),
      securitySchemes: z.record(z.string(), z.record(z.string(), z.unknown())),
    }),
    security: z.array(z.record(z.string(), z.array(z.string()))),
  })
  .describe('The OpenAPI 3.1 document of this hub (this one).');

/**
 * GET /api/v1/openapi.json: the document of every route of `routes()` (read on the first
 * request, so the route table is complete by then), built once per process.
 */
export function openApiRoutes(hub: Hub, routes: () => readonly Route[]): Route[] {
  let document: OpenApiDocument | undefined;
  return [
    {
      method: 'GET',
      path: '/api/v1/openapi.json',
      // Open, as /health is: it describes the code of this version (which /health names
      // anyway), not the state of the hub — no queue, worker or node appears in it — and
      // tools (Swagger UI, client generators) fetch it without a token.
      auth: 'open',
      doc: {
        summary: 'This API as an OpenAPI 3.1 document',
        description:
          'Generated from the zod schemas the routes validate with. Open: it describes the code of this version, never the state of the hub.',
        tags: ['meta'],
        responses: { 200: documentJson },
      },
      handler: () => ({ body: (document ??= openApiDocument(routes(), hub.version)) }),
    },
  ];
}
