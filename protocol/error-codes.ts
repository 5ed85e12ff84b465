/**
 * Error codes by name. The codes, their HTTP statuses, meanings and fixes are data in
 * error-registry.ts; this module keeps the names every caller already imports.
 */
import { codesSentBy, type CodeSentBy } from './error-registry.js';

export {
  ErrorCode,
  type ErrorCodeName,
  type WireErrorCodeName,
  errorRegistry,
  errorEntry,
  isErrorCode,
  statusOfCode,
  codesSentBy,
  type CodeSentBy,
  type ErrorEntry,
  type ErrorSender,
} from './error-registry.js';

/** Task failure codes produced by the hub itself (in `result` frames and task records). */
export const TaskErrorCode = codesSentBy('task');
export type TaskErrorCodeName = CodeSentBy<'task'>;
