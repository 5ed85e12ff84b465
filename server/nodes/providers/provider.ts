import { z } from 'zod';
import type { ServiceInfo } from '../node-runner.js';

export const PROVIDER_ACTIONS = [
  'create',
  'start',
  'stop',
  'remove',
  'status',
  'list-services',
] as const;
export type ProviderAction = (typeof PROVIDER_ACTIONS)[number];

/**
 * Names, images and labels may hold anything but NUL: they are passed as separate argv
 * elements (and quoted for the remote shell), never spliced into a command string, so no
 * value can inject shell. Providers that turn a name into a path forbid "/" as well.
 */
const text = z
  .string()
  .min(1)
  .max(4096)
  .refine((s) => !s.includes('\0'), 'must not contain NUL');

export const providerParams = z.strictObject({
  image: text.optional(),
  command: z.array(text).max(256).optional(),
  ports: z
    .array(
      z.strictObject({
        host: z.number().int().min(1).max(65_535),
        container: z.number().int().min(1).max(65_535),
        protocol: z.enum(['tcp', 'udp']).optional(),
      }),
    )
    .max(64)
    .optional(),
  env: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'env names are letters, digits and _'),
      z.string().max(65_536),
    )
    .optional(),
  labels: z.record(text, z.string().max(4096)).optional(),
  memoryMb: z.number().int().min(16).max(1_048_576).optional(),
  /** Provider working directory (process, qemu), relative to the login home unless absolute. */
  dir: text.optional(),
});
export type ProviderParams = z.infer<typeof providerParams>;

export interface Provider {
  readonly kind: string;
  /** The argv for an action on the named service. */
  argv(action: ProviderAction, name: string, params: ProviderParams): string[];
  /** Parse the output of the list-services argv. */
  parseServices(stdout: string, nodeId: string): ServiceInfo[];
}

/** Service names that become file names must not walk out of their directory. */
export function fileSafeName(name: string): string {
  if (name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new Error(
      `service name ${JSON.stringify(name)} cannot be used as a file name (no "/", ".", "..")`,
    );
  }
  return name;
}
