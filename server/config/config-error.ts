import { ErrorCode } from '../../protocol/error-registry.js';

/** A configuration that cannot be used; the message lists every problem with its path. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = ErrorCode.CONFIG_INVALID;
  constructor(
    message: string,
    readonly issues: string[] = [],
  ) {
    super(message);
  }
}
