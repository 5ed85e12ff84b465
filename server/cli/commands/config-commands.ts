import { existsSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { renderConfigJson, renderConfigYaml, renderInitFile } from '../../config/index.js';
import { CliError, ExitCode } from '../../support/exit-codes.js';
import { loadFromFlags, withConfigFlags, type ConfigFlags } from './start.js';

export function registerConfig(program: Command): void {
  const config = withConfigFlags(
    program
      .command('config')
      .description('print the effective configuration as YAML (secrets redacted)'),
  )
    .option('--json', 'print JSON')
    .action((flags: ConfigFlags & { json?: boolean }) => {
      const { config: effective } = loadFromFlags(flags);
      process.stdout.write(flags.json ? renderConfigJson(effective) : renderConfigYaml(effective));
    });
  config
    .command('init')
    .description('write a commented config file')
    .argument('[file]', 'where to write it', 'switchboard.yaml')
    .option('-f, --force', 'overwrite an existing file')
    .action((file: string, opts: { force?: boolean }) => {
      if (existsSync(file) && !opts.force)
        throw new CliError(`${file} exists; pass --force to overwrite`, ExitCode.USAGE);
      writeFileSync(file, renderInitFile(), { mode: 0o600 });
      process.stdout.write(`wrote ${file}\n`);
    });
}
