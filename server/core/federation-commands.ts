import type { SummaryInput } from './federation.js';

/**
 * The durable commands of federated summaries (docs/federation.md). Each is journaled as
 * issued and replayed through the same rules (federation-rules.ts). Limits that depend on
 * configuration (how many agents, how much in all) are the gateway's, checked before a
 * command is issued: a journaled push is applied on replay whatever the configuration is now.
 */
export type FederationCommand =
  | {
      /** An agent's latest summary: replaces the one it had in the federation. */
      type: 'federation.push';
      now: number;
      federation: string;
      /** `key:<id>`, or the identity of the token that pushed. */
      by: string;
      summary: SummaryInput;
    }
  | {
      /** Forget one agent's summary, or (no agentId) every summary of the federation. */
      type: 'federation.forget';
      now: number;
      federation: string;
      agentId?: string;
    }
  | {
      type: 'federation.key.create';
      now: number;
      key: {
        id: string;
        federation: string;
        /** Hex SHA-256 of the key; the key itself is never in a command. */
        digest: string;
        label?: string;
        agentId?: string;
        createdBy?: string;
      };
    }
  | { type: 'federation.key.revoke'; now: number; keyId: string };

export const FEDERATION_COMMANDS = [
  'federation.push',
  'federation.forget',
  'federation.key.create',
  'federation.key.revoke',
] as const satisfies readonly FederationCommand['type'][];
