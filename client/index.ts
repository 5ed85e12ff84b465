export {
  Worker,
  type WorkerOptions,
  type Task,
  type Handler,
  type WorkerEvents,
} from './worker.js';
export {
  Producer,
  type ProducerOptions,
  type SubmitOptions,
  type BulkItem,
  type ProducerEvents,
} from './producer.js';
export {
  Connection,
  type ConnectionOptions,
  type ConnectionStatus,
  type ReconnectOptions,
} from './connection.js';
export {
  SwitchboardError,
  HubError,
  InvalidRequestError,
  AuthError,
  ForbiddenError,
  NotFoundError,
  ConflictError,
  UnavailableError,
  StoreError,
  RateLimitError,
  InternalError,
  TaskFailedError,
  ConnectionClosedError,
  TimeoutError,
  UnrecoverableError,
  InvalidOptionError,
  type ErrorFrameLike,
} from './errors.js';
export { type HubUrls } from './hub-urls.js';
