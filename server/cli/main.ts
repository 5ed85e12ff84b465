#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { VERSION } from '../runtime/version.js';
import { registerConfig } from './commands/config-commands.js';
import { registerHubCommands } from './commands/hub-commands.js';
import { registerBench } from './commands/bench-command.js';
import { registerFederationCommands } from './commands/federation-commands.js';
import { registerMonitor } from './commands/monitor-command.js';
import { registerNodeCommands } from './commands/node-commands.js';
import { registerDlqCommands } from './commands/dlq-commands.js';
import { registerFlowCommand } from './commands/flow-command.js';
import { registerQueueCommands } from './commands/queue-commands.js';
import { registerScheduleCommands } from './commands/schedule-commands.js';
import { registerStart } from './commands/start.js';
import { registerTaskCommands } from './commands/task-commands.js';
import { registerToken } from './commands/token.js';
import { registerUserCommands, registerWorkspaceCommands } from './commands/workspace-commands.js';
import { CliError, ExitCode } from '../support/exit-codes.js';
import { resolveTarget } from './target.js';

const program = new Command()
  .name('switchboard')
  .description('WebSocket-first real-time worker hub')
  .version(VERSION)
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerStart(program);
registerConfig(program);
registerToken(program);
registerHubCommands(program, resolveTarget);
registerNodeCommands(program, resolveTarget);
registerUserCommands(program, resolveTarget);
registerWorkspaceCommands(program, resolveTarget);
registerQueueCommands(program, resolveTarget);
registerDlqCommands(program, resolveTarget);
registerTaskCommands(program, resolveTarget);
registerFlowCommand(program, resolveTarget);
registerScheduleCommands(program, resolveTarget);
registerFederationCommands(program, resolveTarget);
registerMonitor(program, resolveTarget);
registerBench(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version exit 0 through here; usage errors were already printed.
    process.exit(err.exitCode === 0 ? 0 : ExitCode.USAGE);
  }
  if (err instanceof CliError) {
    process.stderr.write(`switchboard: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  process.stderr.write(`switchboard: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(ExitCode.FAILED);
}
