import { z } from 'zod';
import type { WhoamiJson } from '../../../protocol/index.js';
import type { Hub } from '../../hub/hub.js';
import { callerOf, type Route } from '../router.js';

const whoami = z
  .object({
    role: z.enum(['worker', 'producer', 'admin']),
    subject: z.string().nullable(),
    tokenId: z.string().nullable(),
    queues: z
      .array(z.string())
      .nullable()
      .describe('queue names or `prefix*` globs the token allows; null: every queue'),
    expiresAt: z.number().int().nullable().describe('Unix ms; null: never'),
    auth: z.boolean().describe('false: the hub runs without authentication; every caller is admin'),
  })
  .meta({ id: 'Whoami' }) satisfies z.ZodType<WhoamiJson>;

/**
 * GET /api/v1/whoami: the role, subject and queues of the token sent, so a client (the
 * dashboard) can offer only what the token allows. The API still decides every call.
 */
export function whoamiRoutes(hub: Hub): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/whoami',
      auth: ['worker', 'producer', 'admin'],
      doc: {
        summary: 'The role, subject and queues of the token sent',
        tags: ['tokens'],
        responses: { 200: whoami },
      },
      handler: (ctx) => ({
        body: { ...hub.gateway.whoami(callerOf(ctx)), auth: hub.authEnabled },
      }),
    },
  ];
}
