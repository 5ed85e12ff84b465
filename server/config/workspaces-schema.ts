import { z } from 'zod';

const port = z.number().int().min(1).max(65_535);
const ms = z.number().int().min(0);

/**
 * Workspaces (docs/workspaces.md): where their SSH ports come from and how long the hub waits
 * for one to answer. The range is journaled with each create, so changing it later moves no
 * existing workspace and replay hands out the ports it handed out live.
 */
export const workspacesSchema = z
  .strictObject({
    /** The node ports workspaces' SSH listens on, inclusive, one per workspace. */
    sshPorts: z
      .strictObject({ from: port.default(2222), to: port.default(2299) })
      .prefault({})
      .refine((r) => r.from <= r.to, { message: '`from` must not be above `to`' }),
    /** A workspace whose SSH does not answer within this after its start is `failed`. */
    healthTimeoutMs: ms.min(100).max(3_600_000).default(60_000),
    /**
     * How often a running workspace's services are checked (a service's own
     * `healthCheck.intervalMs` wins). Before `running`, each is tried until it passes or
     * `healthTimeoutMs` runs out.
     */
    serviceCheckIntervalMs: ms.min(100).max(3_600_000).default(10_000),
    /** Each provider command of a workspace (create, start, stop, remove) may run this long. */
    stepTimeoutMs: ms.min(100).max(3_600_000).default(300_000),
  })
  .prefault({});

export type WorkspacesConfig = z.infer<typeof workspacesSchema>;
