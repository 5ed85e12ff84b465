export { Core } from './hub-core.js';
export { DEFAULT_CORE_OPTIONS, type CoreOptions } from './core-options.js';
export type { CommandResult, Effects } from './command-result.js';
export type * from './commands.js';
export { DIRECTLY_DURABLE } from './commands.js';
export type { HubEvent, HubEventType } from './events.js';
export type {
  TaskOptions,
  TaskRecord,
  WorkerRecord,
  WorkerStateName,
  WorkerKind,
  TaskFailure,
} from './records.js';
export { WorkerState } from './records.js';
export type { CoreSnapshot, SnapshotTask } from './snapshot.js';
export { QueueState } from './queue-state.js';
export { backoffDelay, jitterFor } from './backoff.js';
export type {
  NodeRecord,
  NodeCommandRecord,
  NodeStatusName,
  ProviderKind,
  CommandStatusName,
} from './node-records.js';
export { NodeStatus, CommandStatus, PROVIDER_KINDS } from './node-records.js';
export { NodeRegistry } from './node-registry.js';
export { Revocations } from './revocations.js';
export type {
  RevokedId,
  RevokedSubject,
  RevocationsSnapshot,
  TokenIdentity,
} from './revocations.js';
export { replay, type Replayable } from './replay.js';
export { Federations } from './federations.js';
export type { SortedChunk, SortedStrings } from './sorted-chunks.js';
export type { Federation, MergedView, StoredSummary, SummaryInput } from './federation.js';
export { FederationKeys } from './federation-keys.js';
export type { FederationKeyRecord, RevokedKeyRecord } from './federation-keys.js';
export type { FederationCommand } from './federation-commands.js';
export { isTerminal } from './task-lifecycle.js';
export type { Qos, BusMessage, BusConsumer, BusMember } from './bus-records.js';
export type { BusState } from './bus-state.js';
export { SubjectIndex } from './subject-index.js';
export type { WorkspaceCommand } from './workspace-commands.js';
export type {
  PortRange,
  ServiceHealthCheck,
  ServiceStatusName,
  UserRecord,
  WorkspaceRecord,
  WorkspaceServiceSpec,
  WorkspaceServiceState,
  WorkspaceStatusName,
} from './workspace-records.js';
export { serviceOrder, type ServiceOrderIssue } from './service-order.js';
export { copyWorkspace } from './workspace-state.js';
export {
  mayTransition,
  SERVICE_STATUSES,
  WORKSPACE_STATUSES,
  WORKSPACE_TRANSITIONS,
  WorkspaceStatus,
} from './workspace-records.js';
export type { Workspaces, WorkspacesSnapshot } from './workspace-state.js';
export type { ScheduleRecord, Schedules } from './schedule-state.js';
export type { ScheduleCommand } from './schedule-commands.js';
export { MISSED_AFTER_MS } from './schedule-rules.js';
export {
  nextOccurrence,
  timingProblem,
  DEFAULT_TZ,
  type ScheduleTiming,
} from './schedule-timing.js';
export type { FlowChildRecord, FlowParentRecord, Flows } from './flow-state.js';
export type { AttemptHistory, AttemptRecord } from './attempt-history.js';
export { MAX_ATTEMPTS_KEPT } from './attempt-history.js';
export {
  fieldEquals,
  matchesTask,
  payloadField,
  MAX_WHERE_DEPTH,
  type PayloadEquals,
  type TaskFilter,
} from './task-filter.js';
export { MAX_BULK_TASKS } from './task-bulk.js';
