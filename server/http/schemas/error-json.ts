import { z } from 'zod';
import { errorRegistry } from '../../../protocol/index.js';

/**
 * Every code an HTTP answer may carry: any registry code with a status (the gateway's codes
 * reach REST callers as well as WebSocket ones).
 */
const httpCodes = errorRegistry.filter((e) => 'status' in e).map((e) => e.code) as [
  string,
  ...string[],
];

/**
 * The one error body of the side port (HttpServer.fail): every refusal, whatever the route,
 * is `{ error: { code, message, details? } }` with the code's status from the registry.
 */
export const errorJson = z
  .object({
    error: z.object({
      code: z.enum(httpCodes).describe('a code of the error registry (docs/protocol.md §9)'),
      message: z.string().describe('what went wrong, naming the field or the id'),
      details: z
        .unknown()
        .optional()
        .describe(
          'INVALID_FRAME: `{ issues: [{ path, message }] }`; a node command that never started: `{ command }`',
        ),
    }),
  })
  .meta({ id: 'Error', description: 'A refused or failed request.' });
