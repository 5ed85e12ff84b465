import type { WireErrorCodeName } from '../../protocol/index.js';
import type { DurableCommand } from './commands.js';
import type { HubEvent } from './events.js';
import type { TaskRecord } from './records.js';

/** What applying one command returns to its caller. */
export type CommandResult =
  | {
      ok: true;
      /** submit: one id per spec, in order (the existing id for a duplicate). */
      taskIds?: string[];
      /** submit: indexes whose idempotency key matched an existing task. */
      duplicates?: number[];
      /** worker.register: leases honoured / dropped after a reconnect. */
      resumed?: string[];
      dropped?: string[];
      /** worker.pull: tasks leased to the caller. */
      leased?: TaskRecord[];
      /** queue.purge-dead, gc: how many tasks were removed; bus: subscriptions reached. */
      count?: number;
      /** txn: each member's result, in order. */
      results?: CommandResult[];
    }
  | { ok: false; code: WireErrorCodeName; message: string };

/** Output of the commands applied since the last `takeEffects()`. */
export interface Effects {
  events: HubEvent[];
  /** Durable commands to append to the WAL, in order. */
  journal: DurableCommand[];
}

export const OK: CommandResult = { ok: true };

export function fail(code: WireErrorCodeName, message: string): CommandResult {
  return { ok: false, code, message };
}
