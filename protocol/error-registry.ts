/**
 * The one registry of every error code a user can see: on the wire (error frames, HTTP JSON
 * bodies), in task results, in the hub's start errors and logs, and in the SDK. Everything
 * else reads it: `ErrorCode` and the per-module code objects, the HTTP status of each code,
 * the SDK's error classes, and the tables in docs/protocol.md and docs/operations.md
 * (rendered by `node dist/protocol/render-error-docs.js --write`; a test fails when the
 * docs and this list differ).
 *
 * Codes are stable strings: never rename or remove one that has shipped; append new ones.
 */

/** Where a code reaches a user. */
export type ErrorSender =
  /** an `error` frame on the WebSocket */
  | 'ws'
  /** an HTTP JSON body `{"error":{"code","message"}}` with the entry's status */
  | 'http'
  /** a task's failure code (`result` frames, task records, `task.*` events) */
  | 'task'
  /** the storage layer: start errors and the fatal log line */
  | 'store'
  /** the SSH node layer (command records, logs; HTTP shows NODE_UNREACHABLE) */
  | 'nodes'
  /** `switchboard start`: the configuration or the TLS files */
  | 'config'
  /** the SDK (client/): errors it raises itself, not sent by the hub */
  | 'client';

export interface ErrorEntry {
  readonly code: string;
  /** The HTTP status of a refusal with this code (every `ws`/`http` code has one). */
  readonly status?: number;
  /** Other statuses the same code is sent with (documented, e.g. 429 for a per-address cap). */
  readonly otherStatuses?: readonly number[];
  /** The exit code of `switchboard start` when it stops with this code. */
  readonly exitCode?: number;
  readonly sentBy: readonly ErrorSender[];
  /** When it is sent, in one line. */
  readonly meaning: string;
  /** What the user does about it, in one sentence. */
  readonly fix: string;
}

export const errorRegistry = [
  // --- WebSocket frames and the gateway (also over HTTP where a route performs the operation)
  {
    code: 'BAD_FRAME',
    status: 400,
    sentBy: ['ws'],
    meaning: 'the message is not valid msgpack, not a map, or uses a type §1 forbids',
    fix: 'encode one msgpack map per binary message, plain types only (§1)',
  },
  {
    code: 'UNKNOWN_FRAME',
    status: 400,
    sentBy: ['ws'],
    meaning: '`t` names no frame type',
    fix: 'check §3; the hub may be older than your client',
  },
  {
    code: 'FRAME_TOO_LARGE',
    status: 413,
    sentBy: ['ws', 'client'],
    meaning: 'a frame over `maxFrameBytes` (the SDK refuses to send one, with this code)',
    fix: 'split `submit_many`, shrink payloads, or raise `server.maxFrameBytes`',
  },
  {
    code: 'INVALID_FRAME',
    status: 400,
    sentBy: ['ws', 'http'],
    meaning:
      'a field of a frame or request body is missing, has the wrong type, is out of range, or is unknown',
    fix: 'the message names the field path (e.g. `task.priority`); HTTP adds `details.issues`',
  },
  {
    code: 'NOT_AUTHENTICATED',
    status: 401,
    sentBy: ['ws'],
    meaning: 'a frame before `welcome`',
    fix: 'send `hello` and wait for `welcome`',
  },
  {
    code: 'FORBIDDEN',
    status: 403,
    sentBy: ['ws', 'http', 'client'],
    meaning: "the token's role or queues do not allow it (the SDK: close 4003)",
    fix: 'mint a token with the right role and queues',
  },
  {
    code: 'NOT_REGISTERED',
    status: 409,
    sentBy: ['ws'],
    meaning: 'a worker frame before `register`',
    fix: 'register first',
  },
  {
    code: 'ALREADY_REGISTERED',
    status: 409,
    sentBy: ['ws'],
    meaning: 'a second `register` on one connection',
    fix: 'open another connection',
  },
  {
    code: 'LEASE_NOT_HELD',
    status: 409,
    sentBy: ['ws', 'http'],
    meaning: '`progress`/`complete`/`fail` for a task or attempt this worker does not hold',
    fix: 'the lease was lost or the task finished; drop the outcome',
  },
  {
    code: 'TASK_NOT_FOUND',
    status: 404,
    sentBy: ['ws', 'http'],
    meaning: 'no such task (never existed, or its result was evicted)',
    fix: 'check the id; results are kept `resultTtlMs`',
  },
  {
    code: 'INVALID_STATE',
    status: 409,
    sentBy: ['ws', 'http'],
    meaning: 'the task is in a state that does not allow it (cancel of a finished task, …)',
    fix: "read the task's state first",
  },
  {
    code: 'WORKER_NOT_FOUND',
    status: 404,
    sentBy: ['ws', 'http'],
    meaning: 'no worker with this id',
    fix: 'list workers (`GET /api/v1/workers`) for the ids that exist',
  },
  {
    code: 'QUEUE_NOT_FOUND',
    status: 404,
    sentBy: ['ws', 'http'],
    meaning: 'no queue with this name',
    fix: 'check the name; a queue exists once a task or worker has used it',
  },
  {
    code: 'STORE_UNAVAILABLE',
    status: 503,
    sentBy: ['ws', 'http'],
    meaning: 'the hub could not persist (an I/O error); nothing was accepted',
    fix: 'retry later; alert the operator',
  },
  {
    code: 'SHUTTING_DOWN',
    status: 503,
    sentBy: ['ws', 'http'],
    meaning: 'the hub is draining and accepts no new work',
    fix: 'reconnect and resubmit (safe: nothing was accepted)',
  },
  {
    code: 'NOT_READY',
    status: 503,
    sentBy: ['ws', 'http'],
    meaning: 'the hub is still recovering its state',
    fix: 'retry shortly (`GET /ready` says when)',
  },
  {
    code: 'NOT_FOUND',
    status: 404,
    sentBy: ['http'],
    meaning: 'no such route, node or command',
    fix: 'check the path against the HTTP API in docs/operations.md',
  },
  {
    code: 'UNAUTHORIZED',
    status: 401,
    sentBy: ['http', 'client'],
    meaning:
      'a missing, malformed, expired or forged token (the SDK: close 4001, the hub refused the token)',
    fix: 'send `Authorization: Bearer <token>` with a valid token',
  },
  {
    code: 'CONFLICT',
    status: 409,
    sentBy: ['ws', 'http'],
    meaning: 'an id that must be new already exists',
    fix: 'choose another id, or read the existing one',
  },
  {
    code: 'RATE_LIMITED',
    status: 429,
    sentBy: ['ws', 'http'],
    meaning:
      'over the frame or byte rate ([limits.md](limits.md)); frames still served. HTTP: over a federation push or pull rate ([federation.md](federation.md)), nothing stored',
    fix: 'slow down, or the hub closes with 4029; HTTP: retry after `retry-after` seconds',
  },
  {
    code: 'NODE_UNREACHABLE',
    status: 502,
    sentBy: ['http', 'nodes'],
    meaning: 'a node could not be reached, or a command could not be started on it',
    fix: "check the node's address, that sshd runs, and that it accepts the hub's key",
  },
  {
    code: 'INTERNAL',
    status: 500,
    sentBy: ['ws', 'http'],
    meaning: 'a bug in the hub',
    fix: 'report it with the hub log',
  },
  {
    code: 'STORE_FULL',
    status: 507,
    sentBy: ['ws', 'http'],
    meaning: "the hub's disk is full; nothing was accepted",
    fix: 'retry later with backoff; the operator frees space, no restart needed',
  },
  {
    code: 'TOO_MANY_CONNECTIONS',
    status: 503,
    otherStatuses: [429],
    sentBy: ['http'],
    meaning:
      'over the hub-wide (503) or per-address (429) connection cap, also at the WebSocket upgrade',
    fix: 'retry after `retry-after` seconds',
  },
  {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    status: 415,
    sentBy: ['http'],
    meaning: 'a request body that is not `application/json`',
    fix: 'send `content-type: application/json`',
  },
  {
    code: 'REQUEST_TIMEOUT',
    status: 408,
    sentBy: ['http'],
    meaning: "the request's headers or body did not arrive in time",
    fix: 'send the whole request promptly',
  },

  // --- task failure codes set by the hub (a worker's own codes are its own)
  {
    code: 'TIMEOUT',
    sentBy: ['task', 'client'],
    meaning:
      'an attempt ran longer than its `timeoutMs` (retryable); in the SDK, no reply or result within the timeout',
    fix: 'raise `timeoutMs` or make the handler faster; in the SDK raise `requestTimeoutMs` or check the hub',
  },
  {
    code: 'LEASE_LOST',
    sentBy: ['task'],
    meaning: 'the worker holding the lease vanished (missed heartbeats, did not come back)',
    fix: 'nothing: the attempt is retried; keep workers sending heartbeats',
  },
  {
    code: 'EXPIRED',
    sentBy: ['task'],
    meaning: 'the task waited in its queue longer than its `ttlMs`',
    fix: 'add workers for the queue or raise `ttlMs`',
  },
  {
    code: 'CANCELLED',
    sentBy: ['task'],
    meaning: 'the task was cancelled',
    fix: 'nothing: someone asked for it',
  },
  {
    code: 'CHILD_FAILED',
    sentBy: ['task'],
    meaning:
      "a flow's parent failed because one of its children ended dead, expired or cancelled (policy `fail`); `details` names the child",
    fix: 'retry the child or the parent, or submit the flow with `onChildFailure: "continue"` (docs/flows.md)',
  },
  {
    code: 'HANDLER_ERROR',
    sentBy: ['task'],
    meaning: 'the handler threw or the worker failed the task without a code of its own',
    fix: "read the message and the worker's log; give `fail` a code to tell failures apart",
  },

  // --- storage
  {
    code: 'STORE_LOCKED',
    exitCode: 6,
    sentBy: ['store'],
    meaning: 'another hub holds the data dir',
    fix: 'stop the other hub, or point `--data-dir` at a directory of its own',
  },
  {
    code: 'STORE_CORRUPT',
    exitCode: 6,
    sentBy: ['store'],
    meaning: 'the write-ahead log is damaged before its end (not a torn write from a crash)',
    fix: 'run `switchboard start --repair` to keep the valid prefix and move the rest aside',
  },
  {
    code: 'STORE_FSYNC_FAILED',
    exitCode: 70,
    sentBy: ['store'],
    meaning: 'an fsync of the log failed: the running hub stops to protect acknowledged data',
    fix: 'check the disk (`dmesg`, SMART), then start the hub again',
  },
  {
    code: 'STORE_NO_SPACE',
    exitCode: 6,
    sentBy: ['store'],
    meaning: 'the disk is full (clients see `STORE_FULL`; at start, not even the lock file fits)',
    fix: 'free space on the filesystem that holds the data dir',
  },
  {
    code: 'STORE_IO',
    exitCode: 70,
    sentBy: ['store'],
    meaning: 'a write to the log failed with an error other than a full disk: the hub stops',
    fix: 'check the disk, then start the hub again; recovery drops the torn tail',
  },
  {
    code: 'STORE_DIR_UNUSABLE',
    exitCode: 6,
    sentBy: ['store'],
    meaning: 'the data dir is read-only, not writable, or owned by another user',
    fix: 'do what the message says (remount, chmod, chown), or use another `--data-dir`',
  },
  {
    code: 'STORE_CLOSED',
    sentBy: ['store'],
    meaning: 'a write after the store was closed (a bug in the caller, never retried)',
    fix: 'report it with the hub log',
  },

  // --- SSH nodes (NODE_UNREACHABLE is above: it is also sent over HTTP)
  {
    code: 'AUTH_FAILED',
    sentBy: ['nodes'],
    meaning: "the node refused the hub's key or the given credentials",
    fix: 'install the hub key: `switchboard node add … --install-key`',
  },
  {
    code: 'HOST_KEY_UNKNOWN',
    sentBy: ['nodes'],
    meaning: "the node's host key is not in the hub's known_hosts",
    fix: 'add it (`ssh-keyscan`), or enable `nodes.ssh.trustOnFirstUse`',
  },
  {
    code: 'HOST_KEY_CHANGED',
    sentBy: ['nodes'],
    meaning: "the node's host key differs from the known one (interception, or a reinstall)",
    fix: "if you know why it changed, remove the node's line from known_hosts",
  },
  {
    code: 'COMMAND_TIMEOUT',
    sentBy: ['nodes'],
    meaning: 'a node command ran past its `timeoutMs`',
    fix: 'raise the command timeout or make the command faster',
  },
  {
    code: 'INVALID_ARGUMENT',
    sentBy: ['nodes'],
    meaning: 'a node command refused before it ran (HTTP: 400 `INVALID_FRAME`)',
    fix: 'the message names the argument to fix',
  },

  // --- configuration
  {
    code: 'CONFIG_INVALID',
    exitCode: 2,
    sentBy: ['config'],
    meaning: 'the configuration cannot be used; the message lists every problem with its path',
    fix: 'fix each setting named (see `switchboard config init` for a commented file)',
  },
  {
    code: 'TLS_INVALID',
    exitCode: 1,
    sentBy: ['config'],
    meaning: 'a TLS file cannot be used (missing, unreadable, encrypted, or key and cert differ)',
    fix: 'the message names the setting (`server.tls.*`) and the file to fix',
  },

  // --- the SDK
  {
    code: 'CONNECTION_CLOSED',
    sentBy: ['client'],
    meaning: 'the connection closed before the request was answered; it may have been applied',
    fix: 'retry with an idempotency key so a retry is safe',
  },
  {
    code: 'UNSUPPORTED_PROTOCOL',
    sentBy: ['client'],
    meaning: 'the hub refused the protocol version (close 4000)',
    fix: 'use an SDK release that speaks the protocol version of the hub',
  },
  {
    code: 'TOKEN_REVOKED',
    sentBy: ['client'],
    meaning: "the session's token was revoked while it was open (close 4004)",
    fix: 'connect with another token ([tokens.md](tokens.md))',
  },
  {
    code: 'TOKEN_EXPIRED',
    sentBy: ['client'],
    meaning: "the session's token expired while it was open (close 4005)",
    fix: 'connect with a fresh token',
  },

  // --- appended for issue 12: HTTP codes that used to reuse a frame code (same status)
  {
    code: 'METHOD_NOT_ALLOWED',
    status: 405,
    sentBy: ['http'],
    meaning: 'the path exists but not with this method (was `NOT_FOUND`)',
    fix: 'use a method from the `allow` header',
  },
  {
    code: 'INVALID_JSON',
    status: 400,
    sentBy: ['http'],
    meaning:
      'the request body is not valid JSON (was `BAD_FRAME`), or nests deeper than `limits.http.maxJsonDepth` (was `INVALID_FRAME`)',
    fix: 'send one JSON value; the message gives the byte offset',
  },
  {
    code: 'BODY_TOO_LARGE',
    status: 413,
    sentBy: ['http'],
    meaning: 'a request body over `server.maxFrameBytes` (was `FRAME_TOO_LARGE`)',
    fix: 'send fewer tasks per request, or raise the limit',
  },
  {
    code: 'HEADERS_TOO_LARGE',
    status: 431,
    sentBy: ['http'],
    meaning: "the request's headers are over node's limit (was `BAD_FRAME`)",
    fix: 'send smaller headers (a shorter token, fewer cookies)',
  },
  {
    code: 'MALFORMED_REQUEST',
    status: 400,
    sentBy: ['http'],
    meaning: 'the HTTP request could not be parsed, or its target is not a path (was `BAD_FRAME`)',
    fix: 'send a valid HTTP/1.1 request',
  },
  // --- appended for issue 13: the Redis engine
  {
    code: 'ENGINE_UNAVAILABLE',
    status: 503,
    exitCode: 6,
    sentBy: ['ws', 'http', 'store'],
    meaning:
      'the hub cannot reach its Redis engine (or Redis refused the write); nothing was accepted',
    fix: 'retry later with backoff: the hub resumes by itself once Redis answers',
  },
  {
    code: 'ENGINE_LEASE_HELD',
    exitCode: 6,
    sentBy: ['store'],
    meaning: "another hub holds the lease on the Redis engine's log (it leads the cluster)",
    fix: "wait for the leader's lease to expire, or give this cluster another key prefix",
  },
  {
    code: 'ENGINE_EVICTS',
    exitCode: 6,
    sentBy: ['store'],
    meaning: "Redis's `maxmemory-policy` is not `noeviction`: it could evict the hub's log",
    fix: 'set `maxmemory-policy noeviction` in redis.conf (or with `CONFIG SET`)',
  },
  {
    code: 'FENCED',
    exitCode: 70,
    sentBy: ['store'],
    meaning: 'another hub took over the Redis engine (a higher epoch): this hub may not write',
    fix: 'nothing: the successor leads; find out why this hub was paused or cut off',
  },
  {
    code: 'UNKNOWN_CODE',
    sentBy: ['client'],
    meaning: 'the hub sent a code this SDK does not know (a newer hub); `hubCode` holds it',
    fix: 'upgrade the SDK',
  },

  // --- appended for issue 13: the SDK, CLI and monitor take a list of hub URLs
  {
    code: 'INVALID_OPTION',
    sentBy: ['client'],
    meaning: 'a constructor got an option it cannot use: an empty `url` list, a non-ws(s):// URL',
    fix: 'the message names the option and the value to fix',
  },

  // --- appended for issue 14: the message bus
  {
    code: 'SUBSCRIPTION_EXISTS',
    status: 409,
    sentBy: ['ws', 'http'],
    meaning:
      'a `subscribe` reuses a subscription id of this connection, or names a durable subscription that follows another pattern',
    fix: 'pick another sid, or another durable name (or delete the old durable subscription)',
  },
  {
    code: 'SUBSCRIPTION_NOT_FOUND',
    status: 404,
    sentBy: ['ws', 'http'],
    meaning: 'no such subscription on this connection, or no durable subscription of this name',
    fix: 'subscribe first; durable names are listed by `GET /api/v1/subscriptions`',
  },
  {
    code: 'SUBSCRIPTION_FULL',
    status: 507,
    sentBy: ['ws', 'http'],
    meaning:
      'a stored (at-least-once) publish would exceed what one matching subscription may hold unacked (`bus.maxPending`)',
    fix: 'let the subscriber catch up, give messages a `ttlMs`, or delete the durable subscription it no longer reads',
  },
  {
    code: 'NO_RESPONDERS',
    status: 503,
    sentBy: ['ws', 'http'],
    meaning: 'a `request` to a topic nobody subscribes to',
    fix: 'start a subscriber for the topic, or check its name',
  },
  {
    code: 'CLIENT_NOT_FOUND',
    status: 404,
    sentBy: ['ws', 'http'],
    meaning: '`send` to a client id (a worker id or a session id) that is not connected',
    fix: 'check the id; a worker is addressed by its worker id while it is connected',
  },
  {
    code: 'RESPONDER_FAILED',
    status: 502,
    sentBy: ['ws', 'http'],
    meaning:
      'the subscriber that answered a `request` failed: its handler threw (the message says what)',
    fix: "look at the responder's error; the request was delivered, so retry only if it is safe",
  },
  {
    code: 'REPLY_TIMEOUT',
    sentBy: ['client'],
    meaning: 'no reply to a `request` within its `timeoutMs`',
    fix: 'raise `timeoutMs`, or find out why the subscriber did not answer',
  },
  // --- appended for issue 16: federated summaries
  {
    code: 'FEDERATION_FULL',
    status: 507,
    sentBy: ['http'],
    meaning:
      'a federation push or key would pass a `federation.*` cap (federations, agents, stored items, keys); nothing was stored',
    fix: 'forget stale agents (`switchboard federation forget`), revoke unused keys, or raise the cap',
  },
  // --- appended for issue 15: port forwards to nodes
  {
    code: 'FORWARD_LIMIT',
    status: 409,
    sentBy: ['http', 'nodes'],
    meaning:
      'a new port forward would pass `nodes.forwards.maxPerNode`, or every port of `nodes.forwards.ports` is taken',
    fix: 'close a forward (`DELETE /api/v1/nodes/{id}/forwards/{fid}`), or raise the cap or widen the range',
  },
  {
    code: 'PORT_IN_USE',
    status: 409,
    sentBy: ['http', 'nodes'],
    meaning: 'the hub port a forward asked for (`localPort`) is taken on the hub',
    fix: 'ask for another port, or none and let the hub choose',
  },
  // --- appended for issue 15: users and workspaces
  {
    code: 'PORTS_EXHAUSTED',
    status: 503,
    sentBy: ['http'],
    meaning: 'every port of `workspaces.sshPorts` is held by a workspace; nothing was created',
    fix: 'delete unused workspaces (`switchboard workspace delete`), or widen the range',
  },
  {
    code: 'NO_SUITABLE_NODE',
    status: 409,
    sentBy: ['http'],
    meaning: "no registered node offers the workspace's provider (or the node named does not)",
    fix: 'register a node with that provider (`switchboard node add … --provider`), or pick another provider',
  },
  {
    code: 'SCHEDULE_NOT_FOUND',
    status: 404,
    sentBy: ['http'],
    meaning: 'no schedule with this name (never created, or removed)',
    fix: 'list schedules (`switchboard schedule list`) for the names that exist',
  },
  {
    code: 'SCHEDULE_EXISTS',
    status: 409,
    sentBy: ['http'],
    meaning: 'a schedule with this name exists already',
    fix: 'choose another name, or remove the existing schedule first (`switchboard schedule remove NAME`)',
  },
  {
    code: 'INVALID_SCHEDULE',
    status: 400,
    sentBy: ['http'],
    meaning: 'a cron expression that does not parse or never fires, or an unknown time zone',
    fix: 'the message names the field; check the expression (5 or 6 fields) and the IANA zone name',
  },

  // --- appended for issue 18: the SDK's HTTP fallback
  {
    code: 'NOT_OVER_HTTP',
    sentBy: ['client'],
    meaning:
      'a call the HTTP fallback cannot make (message bus, transactions, flows): it needs the WebSocket',
    fix: 'let the WebSocket through (the proxy must pass upgrades), or use submit, submitMany, result and progress only',
  },
] as const satisfies readonly ErrorEntry[];

type Entry = (typeof errorRegistry)[number];

/** Every code a user can see. */
export type ErrorCodeName = Entry['code'];

/** The codes some sender uses (`CodeSentBy<'store'>` is the store's codes). */
export type CodeSentBy<S extends ErrorSender> = Entry extends infer E
  ? E extends { code: infer C; sentBy: readonly (infer X)[] }
    ? S extends X
      ? C
      : never
    : never
  : never;

/** What an `error` frame or an HTTP error body may carry. */
export type WireErrorCodeName = CodeSentBy<'ws'> | CodeSentBy<'http'>;

export type CodeMap<C extends string> = { readonly [K in C]: K };

function codeMap<C extends string>(entries: readonly ErrorEntry[]): CodeMap<C> {
  return Object.freeze(Object.fromEntries(entries.map((e) => [e.code, e.code]))) as CodeMap<C>;
}

/** Every code, by name: `ErrorCode.FORBIDDEN === 'FORBIDDEN'`. */
export const ErrorCode: CodeMap<ErrorCodeName> = codeMap(errorRegistry);

/** The codes one sender uses, as an object of literals. */
export function codesSentBy<S extends ErrorSender>(sender: S): CodeMap<CodeSentBy<S>> {
  return codeMap(errorRegistry.filter((e) => (e.sentBy as readonly string[]).includes(sender)));
}

const byCode: ReadonlyMap<string, ErrorEntry> = new Map(errorRegistry.map((e) => [e.code, e]));

/** The registry entry of a code, or undefined for a string that is no code. */
export function errorEntry(code: string): ErrorEntry | undefined {
  return byCode.get(code);
}

export function isErrorCode(code: unknown): code is ErrorCodeName {
  return typeof code === 'string' && byCode.has(code);
}

/**
 * The HTTP status of a refusal with this code. A code without one reaching HTTP is a hub
 * bug, so it answers 500 rather than pretend the client erred.
 */
export function statusOfCode(code: string): number {
  return byCode.get(code)?.status ?? 500;
}
