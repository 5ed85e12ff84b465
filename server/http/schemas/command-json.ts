import { z } from 'zod';
import { CommandStatus } from '../../core/index.js';

const msOrNull = z.number().int().nullable();

/** The record of a command run on a node (toCommandJson): unset fields are null. */
export const commandJson = z
  .object({
    id: z.string(),
    nodeId: z.string(),
    type: z.string().describe('exec, or a provider action'),
    action: z.string(),
    provider: z.string().nullable(),
    agent: z.string().nullable(),
    args: z.record(z.string(), z.unknown()),
    status: z.enum(CommandStatus),
    exitCode: z.number().int().nullable(),
    stdout: z.string(),
    stderr: z.string(),
    error: z.string().nullable(),
    attempts: z.number().int().min(0),
    createdAt: z.number().int(),
    startedAt: msOrNull,
    finishedAt: msOrNull,
    durationMs: z.number().int().min(0),
  })
  .meta({ id: 'Command' });
export type CommandJson = z.output<typeof commandJson>;
