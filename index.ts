/**
 * The public API of the `switchboard` package: the SDK, plus the protocol's names that
 * users compare against (priorities, error and close codes).
 */
export * from './client/index.js';
export {
  Priority,
  PRIORITY_NAMES,
  ErrorCode,
  TaskErrorCode,
  CloseCode,
  PROTOCOL_VERSION,
} from './protocol/index.js';
export type {
  PriorityName,
  TaskSpec,
  BackoffSpec,
  ResultFrame,
  ErrorCodeName,
  WireErrorCodeName,
} from './protocol/index.js';
