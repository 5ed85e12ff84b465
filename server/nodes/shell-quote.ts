import { NodeError, NodeErrorCode } from './errors.js';

/**
 * Quote one argument for a POSIX shell: wrap in single quotes, and write each embedded
 * single quote as '\'' . Inside single quotes nothing is special — not $, `, ;, newlines
 * or backslashes — so the argument arrives byte for byte. SSH exec hands the remote login
 * shell a string, which is why every argv element goes through here.
 */
export function quoteArg(arg: string): string {
  if (arg.includes('\0')) {
    throw new NodeError(
      NodeErrorCode.INVALID_ARGUMENT,
      'an argument contains a NUL byte, which no command line can carry',
    );
  }
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** An argv as one command line whose words are exactly `argv`. */
export function joinArgv(argv: readonly string[]): string {
  if (argv.length === 0) throw new NodeError(NodeErrorCode.INVALID_ARGUMENT, 'empty command');
  return argv.map(quoteArg).join(' ');
}
