/** Exit codes of the `switchboard` command, documented in docs/operations.md. */
export const ExitCode = {
  OK: 0,
  /** The hub answered with an error (bad request, not found, conflict). */
  FAILED: 1,
  /** Bad usage or invalid configuration. */
  USAGE: 2,
  /** The hub could not be reached. */
  UNREACHABLE: 3,
  /** The token was missing, invalid or lacks the role. */
  UNAUTHORIZED: 4,
  /** `submit --wait`: the task ended dead, expired or cancelled. */
  TASK_FAILED: 5,
  /**
   * `start`: the data dir cannot be used (read-only, not writable, owned by another user,
   * locked by another hub, or its log is damaged). The message names the dir and the fix.
   */
  DATA_DIR: 6,
  /**
   * A running hub stopped itself because its disk failed under it (an fsync or a write
   * other than "disk full" failed). Check the disk; the next start recovers every
   * acknowledged record. 70 is EX_SOFTWARE, the code this has always used.
   */
  STORE_FAILED: 70,
} as const;

/** An error the CLI reports as one line and an exit code, never a stack trace. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.FAILED,
  ) {
    super(message);
  }
}
