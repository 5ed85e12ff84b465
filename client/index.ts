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
  TaskFailedError,
  ConnectionClosedError,
  AuthError,
  TimeoutError,
  UnrecoverableError,
} from './errors.js';
