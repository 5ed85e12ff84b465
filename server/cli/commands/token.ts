import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import {
  appendRecord,
  issueToken,
  mintedFile,
  readMinted,
  readRevocationRequests,
  revocationsFile,
  ROLES,
  subjectSchema,
  tokenIdSchema,
  toMintedRecord,
  type Role,
} from '../../auth/index.js';
import type { HubConfig } from '../../config/index.js';
import type { TokenJson, TokensJson } from '../../http/routes/token-routes.js';
import { lockHolder } from '../../store/data-dir.js';
import { CliError, ExitCode } from '../../support/exit-codes.js';
import { hubRequest, hubUrlsOf, type HubTarget } from '../hub-client.js';
import { renderTable } from '../table.js';
import { loadFromFlags, withConfigFlags, type ConfigFlags } from './start.js';

interface HubFlags extends ConfigFlags {
  url?: string;
  token?: string;
  json?: boolean;
}

function readSecret(config: HubConfig): string {
  if (config.auth.secret) return config.auth.secret;
  if (config.auth.secretFile) return readFileSync(config.auth.secretFile, 'utf8').trim();
  const file = path.join(path.resolve(config.store.dataDir), 'secret');
  if (!existsSync(file)) {
    throw new CliError(
      `no secret found: ${file} does not exist. Start the hub once (it creates it), or set auth.secret / SWITCHBOARD_AUTH_SECRET`,
      ExitCode.USAGE,
    );
  }
  return readFileSync(file, 'utf8').trim();
}

/**
 * The hub this data dir belongs to: --url, SWITCHBOARD_URL, or the configured HTTP port on
 * this machine; a token from --token, SWITCHBOARD_TOKEN, or a 5-minute admin token minted
 * from the secret (this command runs where the secret is).
 */
async function hubTarget(flags: HubFlags, config: HubConfig): Promise<HubTarget> {
  const host = config.server.host;
  const local = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
  const env = process.env.SWITCHBOARD_URL || undefined;
  const hubs =
    flags.url !== undefined
      ? hubUrlsOf(flags.url, '--url')
      : env !== undefined
        ? hubUrlsOf(env, 'SWITCHBOARD_URL')
        : hubUrlsOf(
            `http://${local.includes(':') ? `[${local}]` : local}:${config.server.httpPort}`,
          );
  let token = flags.token ?? (process.env.SWITCHBOARD_TOKEN || undefined);
  if (!token && config.auth.enabled) {
    token = (await issueToken(readSecret(config), { role: 'admin', subject: 'cli', ttl: '5m' }))
      .token;
  }
  return { hubs, token };
}

function withHubFlags(cmd: Command): Command {
  return withConfigFlags(cmd)
    .option(
      '--url <url>',
      'HTTP side port of the hub, or several comma-separated (env SWITCHBOARD_URL; default from config)',
    )
    .option('--token <jwt>', 'admin token (env SWITCHBOARD_TOKEN; default minted from the secret)')
    .option('--json', 'print JSON for scripts');
}

function iso(ms: number | undefined): string {
  return ms === undefined ? 'never' : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

export function registerToken(program: Command): void {
  const token = program.command('token').description('mint, list and revoke access tokens');

  withConfigFlags(token.command('create').description('mint a JWT signed with the hub secret'))
    .requiredOption('-r, --role <role>', `one of ${ROLES.join(', ')}`)
    .option(
      '-q, --queues <list>',
      'comma-separated queues (a trailing * matches a prefix); default all',
    )
    .option(
      '--topics <list>',
      'comma-separated topic patterns for the message bus (* one token, > the rest); default all',
    )
    .option('--ttl <duration>', 'lifetime, e.g. 30d, 12h, 90m, 3600 (seconds); default never')
    .option('--subject <name>', 'who the token is for (shows in logs; revoke --subject uses it)')
    .option('--json', 'print {id, token, role, subject, queues, issuedAt, expiresAt}')
    .action(
      async (
        flags: ConfigFlags & {
          role: string;
          queues?: string;
          topics?: string;
          ttl?: string;
          subject?: string;
          json?: boolean;
        },
      ) => {
        if (!(ROLES as readonly string[]).includes(flags.role)) {
          throw new CliError(
            `--role must be one of ${ROLES.join(', ')}, got ${flags.role}`,
            ExitCode.USAGE,
          );
        }
        if (flags.subject !== undefined && !subjectSchema.safeParse(flags.subject).success) {
          throw new CliError('--subject must be 1 to 256 characters', ExitCode.USAGE);
        }
        const { config } = loadFromFlags(flags);
        const secret = readSecret(config);
        const ttl =
          flags.ttl === undefined
            ? undefined
            : /^\d+$/.test(flags.ttl)
              ? Number(flags.ttl)
              : flags.ttl;
        let minted: Awaited<ReturnType<typeof issueToken>>;
        try {
          minted = await issueToken(secret, {
            role: flags.role as Role,
            ...(flags.queues ? { queues: flags.queues.split(',').filter(Boolean) } : {}),
            ...(flags.topics ? { topics: flags.topics.split(',').filter(Boolean) } : {}),
            ...(ttl === undefined ? {} : { ttl }),
            ...(flags.subject ? { subject: flags.subject } : {}),
          });
        } catch (err) {
          throw new CliError(`cannot mint token: ${(err as Error).message}`, ExitCode.USAGE);
        }
        // The record (never the token) is what `token list` shows. A data dir that does not
        // exist here (secret from the environment, hub elsewhere) is not created for it.
        const dataDir = path.resolve(config.store.dataDir);
        if (existsSync(dataDir)) {
          appendRecord(mintedFile(dataDir), toMintedRecord(minted));
        } else {
          process.stderr.write(
            `switchboard: note: ${dataDir} does not exist; this token is not recorded for \`token list\`\n`,
          );
        }
        if (flags.json) {
          const { token: jwt, ...meta } = minted;
          process.stdout.write(`${JSON.stringify({ ...toMintedRecord(meta), token: jwt })}\n`);
        } else {
          process.stdout.write(`${minted.token}\n`);
        }
      },
    );

  withHubFlags(
    token
      .command('revoke [id]')
      .description(
        'revoke a token by id, or with --subject every token of a subject issued up to now',
      ),
  )
    .option('--subject <name>', 'revoke every token of this subject issued up to now')
    .option('--reason <text>', 'why (kept with the revocation)')
    .action(
      async (id: string | undefined, flags: HubFlags & { subject?: string; reason?: string }) => {
        if ((id === undefined) === (flags.subject === undefined)) {
          throw new CliError('give a token id, or --subject NAME (not both)', ExitCode.USAGE);
        }
        if (id !== undefined && !tokenIdSchema.safeParse(id).success) {
          throw new CliError(
            `${JSON.stringify(id)} is not a token id (the "id" that token create --json and token list show)`,
            ExitCode.USAGE,
          );
        }
        if (flags.subject !== undefined && !subjectSchema.safeParse(flags.subject).success) {
          throw new CliError('--subject must be 1 to 256 characters', ExitCode.USAGE);
        }
        if (flags.reason !== undefined && flags.reason.length > 512) {
          throw new CliError('--reason is at most 512 characters', ExitCode.USAGE);
        }
        const { config } = loadFromFlags(flags);
        const dataDir = path.resolve(config.store.dataDir);
        const target = await hubTarget(flags, config);
        const body = {
          ...(id !== undefined ? { id } : { subject: flags.subject }),
          ...(flags.reason !== undefined ? { reason: flags.reason } : {}),
        };
        try {
          const out = await hubRequest<{ revoked: object; sessionsClosed: number }>(
            target,
            'POST',
            '/api/v1/tokens/revoke',
            body,
          );
          if (flags.json) process.stdout.write(`${JSON.stringify({ ...out, via: 'hub' })}\n`);
          else
            process.stdout.write(
              `revoked ${id ?? `every token of subject ${flags.subject} issued up to now`}; ${out.sessionsClosed} open session(s) closed\n`,
            );
          return;
        } catch (err) {
          if (!(err instanceof CliError) || err.exitCode !== ExitCode.UNREACHABLE) throw err;
          offlineRevoke(dataDir, target.hubs.toString(), err, id, flags);
        }
      },
    );

  withHubFlags(
    token.command('list').description('tokens minted here and revoked (never the tokens)'),
  ).action(async (flags: HubFlags) => {
    const { config } = loadFromFlags(flags);
    const dataDir = path.resolve(config.store.dataDir);
    let data: TokensJson;
    let source: string;
    try {
      data = await hubRequest<TokensJson>(await hubTarget(flags, config), 'GET', '/api/v1/tokens');
      source = 'hub';
    } catch (err) {
      if (!(err instanceof CliError) || err.exitCode !== ExitCode.UNREACHABLE) throw err;
      data = offlineList(dataDir);
      source = 'data dir (hub not reachable: revocations made through it are not shown)';
    }
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ ...data, source }, null, 2)}\n`);
      return;
    }
    process.stdout.write(`${tokensTable(data.tokens)}\n`);
    const subjects = data.revocations.subjects;
    if (subjects.length) {
      process.stdout.write(
        `\n${renderTable(
          ['REVOKED SUBJECT', 'ISSUED UP TO', 'REVOKED AT'],
          subjects.map((s) => [s.subject, iso(s.issuedBefore), iso(s.revokedAt)]),
        )}\n`,
      );
    }
    const known = new Set(data.tokens.map((t) => t.id));
    const others = data.revocations.ids.filter((r) => !known.has(r.id));
    if (others.length) {
      process.stdout.write(
        `\n${renderTable(
          ['REVOKED ID (not minted here)', 'REVOKED AT'],
          others.map((r) => [r.id, iso(r.revokedAt)]),
        )}\n`,
      );
    }
    if (source !== 'hub') process.stdout.write(`\n(from the ${source})\n`);
  });
}

function tokensTable(tokens: TokenJson[]): string {
  if (!tokens.length) return '(no tokens recorded in this data dir)';
  return renderTable(
    ['ID', 'ROLE', 'SUBJECT', 'QUEUES', 'ISSUED', 'EXPIRES', 'STATE'],
    tokens.map((t) => [
      t.id,
      t.role,
      t.subject ?? '-',
      t.queues?.join(',') ?? '*',
      iso(t.issuedAt),
      iso(t.expiresAt),
      t.revoked ? `revoked ${iso(t.revokedAt)}` : t.expired ? 'expired' : 'valid',
    ]),
  );
}

/**
 * No hub answered. If a hub still holds the data dir, it runs at another address: writing
 * the file would not reach it until it restarts, which is not what "revoke" promises, so
 * refuse and say where to point. Otherwise record it for the next start.
 */
function offlineRevoke(
  dataDir: string,
  url: string,
  cause: CliError,
  id: string | undefined,
  flags: { subject?: string; reason?: string; json?: boolean },
): void {
  const pid = lockHolder(dataDir);
  if (pid !== undefined) {
    throw new CliError(
      `${cause.message}\nbut a hub (pid ${pid}) is running on ${dataDir}: pass its --url (or --http-port) so the revocation reaches it now`,
      ExitCode.UNREACHABLE,
    );
  }
  if (!existsSync(dataDir)) {
    throw new CliError(
      `${cause.message}\nand ${dataDir} does not exist, so the revocation cannot be recorded for the next start`,
      ExitCode.UNREACHABLE,
    );
  }
  const now = Date.now();
  const record = {
    ...(id !== undefined ? { tokenId: id } : { subject: flags.subject, issuedBefore: now }),
    revokedAt: now,
    ...(flags.reason !== undefined ? { reason: flags.reason } : {}),
  };
  appendRecord(revocationsFile(dataDir), record);
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({ revoked: record, via: 'file', file: revocationsFile(dataDir) })}\n`,
    );
  } else {
    process.stdout.write(
      `no hub answered at ${url}: revocation recorded in ${revocationsFile(dataDir)}; the hub applies it when it starts, before it accepts any token\n`,
    );
  }
}

function offlineList(dataDir: string): TokensJson {
  const minted = readMinted(dataDir).records;
  const requests = readRevocationRequests(dataDir).records;
  const now = Date.now();
  const ids = requests
    .filter((r) => r.tokenId !== undefined)
    .map((r) => ({ id: r.tokenId!, revokedAt: r.revokedAt }));
  const subjects = requests
    .filter((r) => r.subject !== undefined)
    .map((r) => ({
      subject: r.subject!,
      issuedBefore: r.issuedBefore ?? r.revokedAt,
      revokedAt: r.revokedAt,
    }));
  const tokens = minted.map((m): TokenJson => {
    const byId = ids.find((r) => r.id === m.id);
    const bySubject = subjects.find(
      (s) => m.subject !== undefined && s.subject === m.subject && m.issuedAt <= s.issuedBefore,
    );
    const r = byId ?? bySubject;
    return {
      ...m,
      expired: m.expiresAt !== undefined && m.expiresAt <= now,
      revoked: r !== undefined,
      ...(r ? { revokedAt: r.revokedAt, revokedBy: byId ? 'id' : 'subject' } : {}),
    };
  });
  return { tokens, revocations: { ids, subjects } };
}
