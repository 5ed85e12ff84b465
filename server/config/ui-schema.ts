import { z } from 'zod';

/**
 * The web dashboard on the side port (docs/dashboard.md): static files built by `npm run
 * build` into dist/ui, served under `path`. It holds no data of its own; every number it
 * shows comes from the REST API with the token typed into its sign-in form.
 */
export const uiSchema = z
  .strictObject({
    /** false: no dashboard routes at all (and no redirect of `/`). */
    enabled: z.boolean().default(true),
    /** Where it is served; `/` redirects here when no other route claims `/`. */
    path: z
      .string()
      .regex(
        /^\/[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/,
        'an absolute path such as /ui: segments of letters, digits, ".", "_", "~" or "-"',
      )
      .refine((p) => !p.startsWith('/api/') && p !== '/api', {
        message: 'must not be under /api (the REST API lives there)',
      })
      .default('/ui'),
    /** The built files; default: dist/ui of the installed package. */
    dir: z.string().min(1).optional(),
  })
  .prefault({});
export type UiConfig = z.infer<typeof uiSchema>;
