import { z } from 'zod';

/**
 * Which browser pages may call the side port (CORS), one shape wherever it is set:
 * `server.cors` for the REST API and event streams, `federation.cors` for /federation.
 */
export const corsSchema = z
  .strictObject({
    /**
     * Origins whose browser pages may call these paths (exact, e.g.
     * `https://dash.example.com`, or `*` for any). Empty: no CORS headers at all.
     */
    origins: z
      .array(
        z
          .string()
          .regex(/^(\*|https?:\/\/[^/\s]+)$/, 'an origin: `*` or scheme://host[:port], no path'),
      )
      .max(100)
      .default([]),
    /** How long a browser may cache a preflight answer. */
    maxAgeSeconds: z.number().int().min(0).max(86_400).default(600),
  })
  .prefault({});
export type CorsConfig = z.infer<typeof corsSchema>;
