import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { mintToken, ROLES, type Role } from '../../auth/index.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { loadFromFlags, withConfigFlags, type ConfigFlags } from './start.js';

export function registerToken(program: Command): void {
  const token = program.command('token').description('manage access tokens');
  withConfigFlags(token.command('create').description('mint a JWT signed with the hub secret'))
    .requiredOption('-r, --role <role>', `one of ${ROLES.join(', ')}`)
    .option(
      '-q, --queues <list>',
      'comma-separated queues (a trailing * matches a prefix); default all',
    )
    .option('--ttl <duration>', 'lifetime, e.g. 30d, 12h, 3600 (seconds); default never expires')
    .option('--subject <name>', 'who the token is for (shows in logs as sub)')
    .action(
      async (
        flags: ConfigFlags & { role: string; queues?: string; ttl?: string; subject?: string },
      ) => {
        if (!(ROLES as readonly string[]).includes(flags.role)) {
          throw new CliError(
            `--role must be one of ${ROLES.join(', ')}, got ${flags.role}`,
            ExitCode.USAGE,
          );
        }
        const { config } = loadFromFlags(flags);
        let secret = config.auth.secret;
        if (!secret && config.auth.secretFile)
          secret = readFileSync(config.auth.secretFile, 'utf8').trim();
        if (!secret) {
          const file = path.join(path.resolve(config.store.dataDir), 'secret');
          if (!existsSync(file)) {
            throw new CliError(
              `no secret found: ${file} does not exist. Start the hub once (it creates it), or set auth.secret / SWITCHBOARD_AUTH_SECRET`,
              ExitCode.USAGE,
            );
          }
          secret = readFileSync(file, 'utf8').trim();
        }
        const ttl =
          flags.ttl === undefined
            ? undefined
            : /^\d+$/.test(flags.ttl)
              ? Number(flags.ttl)
              : flags.ttl;
        try {
          const jwt = await mintToken(secret, {
            role: flags.role as Role,
            ...(flags.queues ? { queues: flags.queues.split(',').filter(Boolean) } : {}),
            ...(ttl === undefined ? {} : { ttl }),
            ...(flags.subject ? { subject: flags.subject } : {}),
          });
          process.stdout.write(`${jwt}\n`);
        } catch (err) {
          throw new CliError(`cannot mint token: ${(err as Error).message}`, ExitCode.USAGE);
        }
      },
    );
}
