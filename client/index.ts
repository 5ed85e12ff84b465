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
  type TransactionOp,
  type TransactionResult,
  type FlowNode,
  type FlowTree,
} from './producer.js';
export type { FlowChild, FlowPolicyName } from '../protocol/index.js';
export {
  Connection,
  type ConnectionOptions,
  type ConnectionStatus,
  type ReconnectOptions,
} from './connection.js';
export type {
  ConnectionState,
  ConnectionStats,
  WorkerStats,
  ProducerStats,
} from './connection-status.js';
export { type HttpFallbackOptions } from './http-fallback.js';
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
  NotOverHttpError,
  TimeoutError,
  UnrecoverableError,
  InvalidOptionError,
  ReplyTimeoutError,
  type ErrorFrameLike,
} from './errors.js';
export { type HubUrls } from './hub-urls.js';
export {
  type BusMessage,
  type MessageHandler,
  type PublishOptions,
  type Published,
  type SubscribeOptions,
  type Unsubscribe,
  type RequestOptions,
  type Qos,
} from './bus-client.js';
export {
  Schedules,
  type Schedule,
  type SchedulesOptions,
  type ScheduleOptions,
  type ScheduleTiming,
} from './schedules.js';
