import type { Command } from 'commander';
import { nameSchema } from '../../../protocol/index.js';
import type { FederationKeyJson } from '../../http/routes/federation-admin-routes.js';
import { CliError, ExitCode } from '../../support/exit-codes.js';
import { hubRequest } from '../hub-client.js';
import { renderTable } from '../table.js';
import { withTlsClientFlags, type TargetFlags } from '../target.js';
import type { TargetResolver } from './hub-commands.js';

interface FederationJson {
  name: string;
  agents: number;
  facts: number;
  topics: number;
  items: number;
  keys: number;
  lastUpdated: string | null;
}

interface RevokedJson {
  id: string;
  federation: string;
  label: string | null;
  createdAt: number;
  revokedAt: number;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

function checkName(flag: string, value: string): void {
  if (!nameSchema.safeParse(value).success)
    throw new CliError(
      `${flag} must be 1-128 letters, digits, ".", "_", ":", "/", "-"; got ${JSON.stringify(value)}`,
      ExitCode.USAGE,
    );
}

/**
 * `switchboard federation …`: the federations of agmem summaries a hub holds, and the keys
 * that open them (docs/federation.md). A key is shown once, when it is minted, inside the
 * coordinator URL to give agmem; the hub keeps only its digest.
 */
export function registerFederationCommands(program: Command, resolve: TargetResolver): void {
  const federation = program
    .command('federation')
    .description('federated agent-memory summaries (agmem coordinator): federations and keys');
  const key = federation.command('key').description('mint, list and revoke federation keys');
  const common = (cmd: Command): Command =>
    withTlsClientFlags(cmd)
      .option(
        '--url <url>',
        'HTTP side port of the hub; several hubs of one cluster comma-separated (env SWITCHBOARD_URL)',
      )
      .option('--token <jwt>', 'admin token (env SWITCHBOARD_TOKEN)')
      .option(
        '-d, --data-dir <dir>',
        'on the hub machine: mint a short-lived admin token from this data dir',
      )
      .option('--json', 'print JSON for scripts');

  common(
    key
      .command('create')
      .description('mint a key for a federation; prints the coordinator URL for agmem, once')
      .requiredOption('-f, --federation <name>', 'the federation (group) the key opens')
      .option('--label <text>', 'who or what the key is for (shown by `key list`)')
      .option('--agent <agent_id>', 'the key may push this agent summary only')
      .option(
        '--public-url <url>',
        'the hub as agmem reaches it, e.g. https://hub.example.com (default: the --url used)',
      ),
  ).action(
    async (
      opts: TargetFlags & {
        federation: string;
        label?: string;
        agent?: string;
        publicUrl?: string;
        json?: boolean;
      },
    ) => {
      checkName('--federation', opts.federation);
      if (opts.label !== undefined && (opts.label.length < 1 || opts.label.length > 128))
        throw new CliError('--label must be 1 to 128 characters', ExitCode.USAGE);
      if (opts.agent !== undefined && (opts.agent.length < 1 || opts.agent.length > 128))
        throw new CliError('--agent must be 1 to 128 characters', ExitCode.USAGE);
      const target = await resolve(opts);
      const minted = await hubRequest<FederationKeyJson & { key: string }>(
        target,
        'POST',
        '/api/v1/federation-keys',
        {
          federation: opts.federation,
          ...(opts.label === undefined ? {} : { label: opts.label }),
          ...(opts.agent === undefined ? {} : { agentId: opts.agent }),
        },
      );
      const base = (opts.publicUrl ?? target.hubs.current).replace(/\/+$/, '');
      const url = `${base}/federation/${minted.key}`;
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ ...minted, url }, null, 2)}\n`);
        return;
      }
      process.stdout.write(
        [
          `Federation key ${minted.id} for federation "${minted.federation}"${minted.agentId ? ` (agent ${minted.agentId} only)` : ''}.`,
          'Shown this once: the hub keeps only its digest. Point agmem at it with:',
          '',
          `  agmem config set federated.coordinator_url ${url}`,
          '',
          `Revoke it with: switchboard federation key revoke ${minted.id}`,
          '',
        ].join('\n'),
      );
    },
  );

  common(key.command('list').description('federation keys (never the keys themselves)')).action(
    async (opts: TargetFlags & { json?: boolean }) => {
      const data = await hubRequest<{ keys: FederationKeyJson[]; revoked: RevokedJson[] }>(
        await resolve(opts),
        'GET',
        '/api/v1/federation-keys',
      );
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
        return;
      }
      const rows = [
        ...data.keys.map((k) => [
          k.id,
          k.federation,
          k.label ?? '-',
          k.agentId ?? '*',
          iso(k.createdAt),
          'valid',
        ]),
        ...data.revoked.map((k) => [
          k.id,
          k.federation,
          k.label ?? '-',
          '',
          iso(k.createdAt),
          `revoked ${iso(k.revokedAt)}`,
        ]),
      ];
      process.stdout.write(
        `${rows.length ? renderTable(['ID', 'FEDERATION', 'LABEL', 'AGENT', 'CREATED', 'STATE'], rows) : '(no federation keys)'}\n`,
      );
    },
  );

  common(
    key
      .command('revoke')
      .description('revoke a federation key by id: refused from now on, on every hub')
      .argument('<id>', 'the key id (fk_…), as `key list` shows it'),
  ).action(async (id: string, opts: TargetFlags & { json?: boolean }) => {
    if (!/^fk_[A-Za-z0-9_-]{1,32}$/.test(id))
      throw new CliError(
        `${JSON.stringify(id)} is not a federation key id (fk_…, as \`switchboard federation key list\` shows)`,
        ExitCode.USAGE,
      );
    const out = await hubRequest<{ revoked: RevokedJson }>(
      await resolve(opts),
      'POST',
      `/api/v1/federation-keys/${encodeURIComponent(id)}/revoke`,
    );
    process.stdout.write(
      opts.json
        ? `${JSON.stringify(out)}\n`
        : `revoked ${id} (federation "${out.revoked.federation}")\n`,
    );
  });

  common(
    federation.command('list').description('federations: agents, distinct facts, topics, keys'),
  ).action(async (opts: TargetFlags & { json?: boolean }) => {
    const { federations } = await hubRequest<{ federations: FederationJson[] }>(
      await resolve(opts),
      'GET',
      '/api/v1/federations',
    );
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(federations, null, 2)}\n`);
      return;
    }
    process.stdout.write(
      `${
        federations.length
          ? renderTable(
              ['FEDERATION', 'AGENTS', 'FACTS', 'TOPICS', 'KEYS', 'LAST UPDATED'],
              federations.map((f) => [
                f.name,
                f.agents,
                f.facts,
                f.topics,
                f.keys,
                f.lastUpdated ?? '-',
              ]),
            )
          : '(no federations)'
      }\n`,
    );
  });

  common(
    federation
      .command('forget')
      .description("forget every summary of a federation, or with --agent one agent's")
      .argument('<federation>')
      .option('--agent <agent_id>', 'only this agent summary'),
  ).action(async (name: string, opts: TargetFlags & { agent?: string; json?: boolean }) => {
    checkName('federation', name);
    const path =
      `/api/v1/federations/${encodeURIComponent(name)}` +
      (opts.agent === undefined ? '' : `/agents/${encodeURIComponent(opts.agent)}`);
    const out = await hubRequest<{ forgotten: number }>(await resolve(opts), 'DELETE', path);
    process.stdout.write(
      opts.json
        ? `${JSON.stringify(out)}\n`
        : `forgot ${out.forgotten} summar${out.forgotten === 1 ? 'y' : 'ies'} of federation "${name}"\n`,
    );
  });
}
