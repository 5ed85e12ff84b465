/**
 * Walks the OpenAPI document a real hub serves and holds every operation to it: a request
 * valid by the documented schemas gets the documented status and an answer valid by the
 * documented schema (closed: no field the document does not name), and where the document
 * declares a body, path parameter or query parameter, one it calls invalid gets the
 * documented 400. Each secured operation answers 401 without a token and 403 to a role it
 * does not list; each with path parameters and a documented 404 answers it for an unknown
 * id. An operation without a case below fails the walk: new routes are held to it.
 *
 * Nodes run on a runner in this file (no SSH). POST /api/v1/nodes/{id}/install-key needs a
 * real sshd and the hub's SSH runner: it is exercised for its documented 400 (this hub has
 * no SSH runner); test/nodes covers it against a real sshd.
 */
import { createConnection } from 'node:net';
import t, { type Test } from 'tap';
import { mintToken } from '../../server/auth/index.js';
import type {
  OpenApiDocument,
  OpenApiOperation,
  OpenApiParameter,
} from '../../server/http/openapi.js';
import type { NodeRunner } from '../../server/nodes/node-runner.js';
import { startTestHub } from '../helpers/hub.js';
import { SchemaChecker } from '../helpers/json-schema.js';

const SECRET = 'openapi-walk-secret-0123456789abcdef';
const AGENT = 'walk-agent';
type Role = 'admin' | 'producer' | 'worker';

/** A node runner that runs nothing: every command succeeds, every node runs one service. */
const runner: NodeRunner = {
  run: async () => ({
    status: 'succeeded',
    exitCode: 0,
    stdout: 'hi\n',
    stderr: '',
    durationMs: 1,
  }),
  services: async (node) => [
    {
      nodeId: node.id,
      provider: 'docker',
      name: 'web',
      image: 'nginx:1.27',
      state: 'running',
      ports: [{ host: 8080, container: 80, protocol: 'tcp' }],
    },
  ],
  onStatus: () => undefined,
  forget: () => undefined,
  // Forwards carry each connection to host:port directly (this file has no SSH).
  openChannel: async (_node, host, port) => createConnection({ host, port }),
  close: async () => undefined,
};

interface Case {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  /** Default: the first role the operation lists. */
  role?: Role;
  /** Path parameters of nothing that exists, where 'walk-missing' is not a valid value. */
  missing?: Record<string, string>;
  status: number;
}

t.test('every operation of the document answers as documented', async (t) => {
  const th = await startTestHub(
    {
      auth: { enabled: true, secret: SECRET },
      // Nothing answers SSH in the walk: a workspace fails its check at once and is settled.
      workspaces: {
        sshPorts: { from: 45_100, to: 45_199 },
        healthTimeoutMs: 100,
        stepTimeoutMs: 1000,
      },
    },
    undefined,
    runner,
  );
  t.teardown(() => th.stop());
  const tokens: Record<Role, string> = {
    admin: await mintToken(SECRET, { role: 'admin' }),
    producer: await mintToken(SECRET, { role: 'producer' }),
    worker: await mintToken(SECRET, { role: 'worker', subject: AGENT }),
  };
  const docRes = await fetch(`${th.httpUrl}/api/v1/openapi.json`);
  t.equal(docRes.status, 200);
  const doc = (await docRes.json()) as OpenApiDocument;
  const requests = new SchemaChecker(doc.components.schemas);
  const answers = new SchemaChecker(doc.components.schemas, true);

  const send = async (
    method: string,
    path: string,
    opts: {
      role?: Role | undefined;
      body?: unknown;
      query?: Record<string, string> | undefined;
    } = {},
  ) => {
    const qs =
      opts.query && Object.keys(opts.query).length ? `?${new URLSearchParams(opts.query)}` : '';
    const headers: Record<string, string> = {};
    if (opts.role) headers.authorization = `Bearer ${tokens[opts.role]}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const ac = new AbortController();
    const res = await fetch(`${th.httpUrl}${path}${qs}`, {
      method,
      headers,
      signal: ac.signal,
      ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
    });
    const type = res.headers.get('content-type') ?? '';
    if (type.startsWith('text/event-stream')) {
      // A stream never ends: its first chunk is the answer's start.
      const reader = res.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      ac.abort();
      return { status: res.status, type, text: first, json: undefined as unknown };
    }
    const text = await res.text();
    return {
      status: res.status,
      type,
      text,
      json: type.startsWith('application/json') ? (JSON.parse(text) as unknown) : undefined,
    };
  };
  const ok = async (method: string, path: string, role: Role, body?: unknown): Promise<any> => {
    const r = await send(method, path, { role, body });
    if (r.status >= 300) throw new Error(`fixture ${method} ${path}: ${r.status} ${r.text}`);
    return r.json;
  };

  // ------------------------------------------------------------------ fixtures
  let seq = 0;
  const unique = (prefix: string): string => `${prefix}-${++seq}`;
  const submit = async (queue = 'walk', spec: object = {}): Promise<string> =>
    (await ok('POST', '/api/v1/tasks', 'producer', { queue, ...spec })).id;
  const schedule = async (): Promise<string> => {
    const name = unique('walk-s');
    await ok('POST', '/api/v1/schedules', 'producer', {
      name,
      everyMs: 3_600_000,
      task: { queue: 'walk' },
    });
    return name;
  };
  const httpWorker = async (queues: string[]): Promise<string> => {
    const workerId = unique('walk-w');
    await ok('POST', '/api/workers/register', 'worker', { workerId, queues });
    return workerId;
  };
  /** A task leased to a fresh HTTP worker, on a queue of its own. */
  const leased = async (spec: object = {}) => {
    const queue = unique('walk-q');
    const taskId = await submit(queue, spec);
    const workerId = await httpWorker([queue]);
    const { tasks } = await ok('POST', '/api/tasks/assign', 'worker', { workerId });
    return { workerId, taskId, attempt: tasks[0].attempt as number };
  };
  const node = async (extra: object = {}): Promise<string> => {
    const id = unique('walk-node');
    await ok('POST', '/api/v1/nodes', 'admin', { id, name: id, address: '127.0.0.1', ...extra });
    return id;
  };
  /** A command recorded for the agent of a node, pending. */
  const agentCommand = async (): Promise<string> => {
    const nodeId = await node({ agent: AGENT });
    return (
      await ok('POST', `/api/v1/nodes/${nodeId}/commands`, 'admin', {
        type: 'exec',
        action: 'uptime',
      })
    ).id;
  };
  /** A federation key (POST /api/v1/federation-keys answers it once). */
  const fedKey = async (federation: string): Promise<{ id: string; key: string }> =>
    ok('POST', '/api/v1/federation-keys', 'admin', { federation, label: 'walk' });
  /** agmem's summary, the seed's shape. */
  const summary = (agent: string) => ({
    summary: {
      agent_id: agent,
      timestamp: new Date().toISOString(),
      topic_counts: { walking: 2 },
      fact_hashes: ['ab'.repeat(32)],
      memory_types: ['episodic'],
    },
  });
  /** A federation with one agent's summary in it, pushed with a key. */
  const federation = async (): Promise<{ name: string; agent: string; key: string }> => {
    const name = unique('walk-fed');
    const agent = unique('walk-agent');
    const { key } = await fedKey(name);
    const r = await send('POST', `/federation/${key}/push`, { body: summary(agent) });
    if (r.status !== 200) throw new Error(`fixture push: ${r.status} ${r.text}`);
    return { name, agent, key };
  };
  /** A registered user (a key of its own is not needed: the walk never logs in). */
  const walkKey =
    'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGk3h0RrVa7Sx0R0mI4J4xZbq8b3zPIVtD3X2jHhQ8Jf walk';
  let githubId = 1000;
  const user = async (): Promise<string> => {
    const username = unique('walker');
    await ok('POST', '/api/v1/users/register-github', 'admin', {
      username,
      githubId: ++githubId,
      email: `${username}@example.com`,
      sshPublicKey: walkKey,
    });
    return username;
  };
  await node({ providers: ['process'] });
  const workspace = async (): Promise<string> =>
    (
      await ok('POST', '/api/v1/workspaces', 'admin', {
        user: await user(),
        name: 'walk',
        provider: 'process',
        services: [{ name: 'web', port: 8080, command: 'true' }],
      })
    ).id;
  /** A workspace done with its creation (failed: nothing answers SSH here), ready to stop. */
  const settledWorkspace = async (): Promise<string> => {
    const id = await workspace();
    await th.hub.gateway.workspaces.settled(id);
    return id;
  };
  await submit('walk');
  const walker = await httpWorker(['walk']);
  const box = await node({ provider: 'docker' });

  // ------------------------------------------------------------------ one case per operation
  const cases: Record<string, () => Promise<Case>> = {
    'GET /health': async () => ({ status: 200 }),
    'GET /ready': async () => ({ status: 200 }),
    'GET /api/v1/stats': async () => ({ status: 200 }),
    'GET /api/v1/health': async () => ({ status: 200 }),
    'GET /api/v1/status': async () => ({ role: 'admin', status: 200 }),
    'GET /api/v1/cluster': async () => ({ status: 200 }),
    'POST /api/v1/users/register-github': async () => ({
      role: 'admin',
      body: {
        username: unique('walker'),
        githubId: ++githubId,
        email: 'walk@example.com',
        sshPublicKey: walkKey,
      },
      status: 201,
    }),
    'GET /api/v1/users/{username}': async () => ({
      role: 'admin',
      params: { username: await user() },
      missing: { username: 'walkmissing' },
      status: 200,
    }),
    'PUT /api/v1/users/{username}/ssh-key': async () => ({
      role: 'admin',
      params: { username: await user() },
      missing: { username: 'walkmissing' },
      body: { sshPublicKey: walkKey },
      status: 200,
    }),
    'POST /api/v1/workspaces': async () => ({
      role: 'admin',
      body: { user: await user(), name: 'walk', provider: 'process', services: [{ name: 'web' }] },
      status: 201,
    }),
    'GET /api/v1/workspaces': async () => ({ role: 'admin', status: 200 }),
    'GET /api/v1/workspaces/{id}': async () => ({
      role: 'admin',
      params: { id: await workspace() },
      status: 200,
    }),
    'PATCH /api/v1/workspaces/{id}/status': async () => ({
      role: 'admin',
      params: { id: await settledWorkspace() },
      body: { action: 'stop' },
      status: 200,
    }),
    'GET /api/v1/workspaces/{id}/services': async () => ({
      role: 'admin',
      params: { id: await settledWorkspace() },
      status: 200,
    }),
    // The documented error answers: nothing answers SSH in the walk, so no workspace runs
    // and none has a forward (test/workspaces/workspace-services.test.ts opens real ones).
    'POST /api/v1/workspaces/{id}/services/{name}/port-forward': async () => ({
      role: 'admin',
      params: { id: await settledWorkspace(), name: 'web' },
      body: {},
      status: 409,
    }),
    'GET /api/v1/workspaces/{id}/forwards': async () => ({
      role: 'admin',
      params: { id: await settledWorkspace() },
      status: 200,
    }),
    'DELETE /api/v1/workspaces/{id}/forwards/{fid}': async () => ({
      role: 'admin',
      params: { id: await settledWorkspace(), fid: 'fwd-none' },
      status: 404,
    }),
    'DELETE /api/v1/workspaces/{id}': async () => ({
      role: 'admin',
      params: { id: await settledWorkspace() },
      status: 200,
    }),
    'GET /metrics': async () => ({ status: 200 }),
    'GET /api/v1/openapi.json': async () => ({ status: 200 }),
    'POST /api/v1/tasks': async () => ({
      body: { queue: 'walk', payload: { to: 'ada@example.com' }, priority: 'high', maxAttempts: 5 },
      status: 201,
    }),
    'POST /api/v1/flows': async () => ({
      body: {
        queue: 'walk',
        payload: { report: 'weekly' },
        onChildFailure: 'continue',
        children: [
          { queue: 'walk', name: 'fetch', children: [{ queue: 'walk-b', name: 'page' }] },
          { queue: 'walk-b', name: 'render' },
        ],
      },
      status: 201,
    }),
    'GET /api/v1/flows/{id}': async () => {
      const flow = await ok('POST', '/api/v1/flows', 'producer', {
        queue: 'walk',
        children: [{ queue: 'walk', name: 'leaf' }],
      });
      return { params: { id: flow.id }, status: 200 };
    },
    'GET /api/v1/tasks': async () => ({ query: { queue: 'walk', limit: '5' }, status: 200 }),
    'GET /api/v1/tasks/{id}': async () => ({ params: { id: await submit() }, status: 200 }),
    'POST /api/v1/tasks/{id}/cancel': async () => ({
      params: { id: await submit() },
      body: { reason: 'walked' },
      status: 200,
    }),
    'POST /api/v1/tasks/{id}/retry': async () => {
      const { workerId, taskId, attempt } = await leased({ maxAttempts: 1 });
      await ok('POST', '/api/tasks/fail', 'worker', {
        workerId,
        taskId,
        attempt,
        error: { message: 'walked into a wall', retryable: false },
      });
      return { params: { id: taskId }, status: 200 };
    },
    'GET /api/v1/queues': async () => ({ status: 200 }),
    'GET /api/v1/queues/{name}': async () => ({ params: { name: 'walk' }, status: 200 }),
    'POST /api/v1/queues/{name}/pause': async () => {
      const name = unique('walk-q');
      await submit(name);
      return { params: { name }, status: 200 };
    },
    'POST /api/v1/queues/{name}/resume': async () => {
      const name = unique('walk-q');
      await submit(name);
      await ok('POST', `/api/v1/queues/${name}/pause`, 'admin');
      return { params: { name }, status: 200 };
    },
    'DELETE /api/v1/queues/{name}/dead': async () => ({ params: { name: 'walk' }, status: 200 }),
    'POST /api/v1/queues/{name}/cancel': async () => ({
      params: { name: 'walk' },
      body: { state: 'queued', limit: 10 },
      status: 200,
    }),
    'POST /api/v1/queues/{name}/purge': async () => ({
      params: { name: 'walk' },
      body: { state: 'completed', where: 'payload.n=1' },
      status: 200,
    }),
    'POST /api/v1/queues/{name}/retry': async () => ({
      params: { name: 'walk' },
      body: { errorCode: 'HANDLER_ERROR' },
      status: 200,
    }),
    'GET /api/v1/queues/{name}/dead/{id}': async () => {
      const { workerId, taskId, attempt } = await leased({ maxAttempts: 1 });
      await ok('POST', '/api/tasks/fail', 'worker', {
        workerId,
        taskId,
        attempt,
        error: { message: 'walked into a wall', retryable: false },
      });
      const queue = (await ok('GET', `/api/v1/tasks/${taskId}`, 'producer')).queue as string;
      return {
        params: { name: queue, id: taskId },
        missing: { name: queue, id: 'nope' },
        status: 200,
      };
    },
    'DELETE /api/v1/queues/{name}/dead/{id}': async () => {
      const { workerId, taskId, attempt } = await leased({ maxAttempts: 1 });
      await ok('POST', '/api/tasks/fail', 'worker', {
        workerId,
        taskId,
        attempt,
        error: { message: 'walked into a wall', retryable: false },
      });
      const queue = (await ok('GET', `/api/v1/tasks/${taskId}`, 'producer')).queue as string;
      return {
        params: { name: queue, id: taskId },
        missing: { name: queue, id: 'nope' },
        status: 200,
      };
    },
    'PUT /api/v1/queues/{name}/limits': async () => {
      const name = unique('walk-q');
      await submit(name);
      return {
        params: { name },
        body: {
          rate: { count: 100, perMs: 1000 },
          concurrency: 5,
          group: { key: 'customer.id', concurrency: 2 },
        },
        status: 200,
      };
    },
    'DELETE /api/v1/queues/{name}/limits': async () => {
      const name = unique('walk-q');
      await submit(name);
      await ok('PUT', `/api/v1/queues/${name}/limits`, 'admin', { concurrency: 1 });
      return { params: { name }, status: 200 };
    },
    'POST /api/v1/schedules': async () => ({
      body: {
        name: unique('walk-s'),
        cron: '0 30 2 * * *',
        tz: 'Europe/Berlin',
        missed: 'skip',
        task: { queue: 'walk', payload: { report: 'daily' }, priority: 'low' },
      },
      status: 201,
    }),
    'GET /api/v1/schedules': async () => {
      await schedule();
      return { status: 200 };
    },
    'GET /api/v1/schedules/{name}': async () => ({
      params: { name: await schedule() },
      status: 200,
    }),
    'POST /api/v1/schedules/{name}/pause': async () => ({
      params: { name: await schedule() },
      status: 200,
    }),
    'POST /api/v1/schedules/{name}/resume': async () => {
      const name = await schedule();
      await ok('POST', `/api/v1/schedules/${name}/pause`, 'producer');
      return { params: { name }, status: 200 };
    },
    'DELETE /api/v1/schedules/{name}': async () => ({
      params: { name: await schedule() },
      status: 200,
    }),
    'GET /api/v1/workers': async () => ({ status: 200 }),
    'GET /api/v1/workers/{id}': async () => ({ params: { id: walker }, status: 200 }),
    'POST /api/v1/workers/{id}/drain': async () => ({
      params: { id: await httpWorker(['walk']) },
      status: 200,
    }),
    'POST /api/v1/workers/{id}/disconnect': async () => ({
      params: { id: await httpWorker(['walk']) },
      status: 200,
    }),
    'GET /ws': async () => ({ query: { types: 'node.*', lastEventId: '0' }, status: 200 }),
    'GET /api/v1/events': async () => ({
      query: { types: 'task.*', lastEventId: '0' },
      status: 200,
    }),
    'POST /api/v1/messages': async () => ({
      body: {
        topic: 'walk.topic',
        data: { n: 1 },
        qos: 'at-least-once',
        priority: 'high',
        id: unique('walk-msg'),
      },
      status: 200,
    }),
    'GET /api/v1/messages/stream': async () => ({
      query: { topic: 'walk.>', maxInFlight: '5' },
      status: 200,
    }),
    'GET /api/v1/tokens': async () => ({ status: 200 }),
    'GET /api/v1/whoami': async () => ({ status: 200 }),
    'POST /api/v1/tokens/revoke': async () => ({
      body: { subject: unique('walk-nobody'), reason: 'walked' },
      status: 200,
    }),
    'GET /api/state': async () => ({ status: 200 }),
    'GET /api/metrics': async () => ({ status: 200 }),
    'POST /api/workers/register': async () => ({
      body: { workerId: unique('walk-w'), queues: ['walk'], capabilities: ['gpu'], concurrency: 2 },
      status: 201,
    }),
    'POST /api/workers/unregister': async () => ({
      body: { workerId: await httpWorker(['walk']) },
      status: 200,
    }),
    'POST /api/workers/heartbeat': async () => ({ body: { workerId: walker }, status: 200 }),
    'POST /api/tasks/assign': async () => {
      const queue = unique('walk-q');
      await submit(queue);
      return { body: { workerId: await httpWorker([queue]), max: 2 }, status: 200 };
    },
    'POST /api/tasks/complete': async () => ({
      body: { ...(await leased()), result: { rows: 3 } },
      status: 200,
    }),
    'POST /api/tasks/fail': async () => ({
      body: { ...(await leased()), error: { message: 'no data', code: 'EMPTY' } },
      status: 200,
    }),
    // The long-poll paths of the SDK's HTTP fallback; a task is ready, so none waits.
    'POST /api/v1/tasks/pull': async () => {
      const queue = unique('walk-q');
      await submit(queue);
      return {
        body: { workerId: await httpWorker([queue]), max: 2, waitMs: 1000 },
        status: 200,
      };
    },
    'POST /api/v1/tasks/{id}/progress': async () => {
      const { workerId, taskId, attempt } = await leased();
      return {
        params: { id: taskId },
        body: { workerId, attempt, value: { pct: 50 } },
        status: 200,
      };
    },
    'POST /api/v1/tasks/wait': async () => {
      const { workerId, taskId, attempt } = await leased();
      await ok('POST', '/api/tasks/complete', 'worker', { workerId, taskId, attempt, result: 7 });
      return { body: { taskIds: [taskId], waitMs: 1000, progress: true }, status: 200 };
    },
    'POST /api/v1/nodes': async () => {
      const id = unique('walk-node');
      return {
        body: { id, name: id, address: '10.0.0.5', providers: ['docker'], labels: { zone: 'a' } },
        status: 201,
      };
    },
    'GET /api/v1/nodes': async () => ({ status: 200 }),
    'GET /api/v1/nodes/{id}': async () => ({ params: { id: box }, status: 200 }),
    'GET /api/v1/nodes/{id}/status': async () => ({ params: { id: box }, status: 200 }),
    'PUT /api/v1/nodes/{id}': async () => ({
      params: { id: await node({ agent: AGENT }) },
      body: { sshUser: 'deploy', labels: { zone: 'b' }, agent: null },
      status: 200,
    }),
    'DELETE /api/v1/nodes/{id}': async () => ({ params: { id: await node() }, status: 200 }),
    'POST /api/v1/nodes/{id}/commands': async () => ({
      params: { id: box },
      body: { type: 'exec', action: 'echo hi', timeoutMs: 5000 },
      status: 201,
    }),
    // The documented error answer: a hub without an SSH runner cannot install keys.
    'POST /api/v1/nodes/{id}/install-key': async () => ({
      params: { id: box },
      body: { password: 'once' },
      status: 400,
    }),
    'POST /api/v1/nodes/{id}/forwards': async () => ({
      params: { id: box },
      body: { port: 8080, host: '127.0.0.1' },
      status: 201,
    }),
    'GET /api/v1/nodes/{id}/forwards': async () => ({ params: { id: box }, status: 200 }),
    'DELETE /api/v1/nodes/{id}/forwards/{fid}': async () => {
      const f = await ok('POST', `/api/v1/nodes/${box}/forwards`, 'admin', { port: 8080 });
      return { params: { id: box, fid: f.id }, status: 200 };
    },
    'GET /api/v1/commands': async () => {
      await agentCommand();
      return { query: { status: 'pending' }, status: 200 };
    },
    'GET /api/v1/commands/{id}': async () => ({
      params: { id: await agentCommand() },
      status: 200,
    }),
    'POST /api/v1/commands/{id}/result': async () => ({
      params: { id: await agentCommand() },
      body: { status: 'succeeded', exitCode: 0, stdout: 'up 3 days\n', durationMs: 12 },
      status: 200,
    }),
    'GET /api/v1/services': async () => ({ query: { node: box }, status: 200 }),
    'POST /federation/push': async () => ({ body: summary(unique('walk-agent')), status: 200 }),
    'GET /federation/pull': async () => ({
      query: { since: new Date(0).toISOString() },
      status: 200,
    }),
    'GET /federation/health': async () => ({ status: 200 }),
    'POST /federation/{key}/push': async () => ({
      params: { key: (await federation()).key },
      body: summary(unique('walk-agent')),
      status: 200,
    }),
    'GET /federation/{key}/pull': async () => ({
      params: { key: (await federation()).key },
      status: 200,
    }),
    'GET /federation/{key}/health': async () => ({
      params: { key: (await federation()).key },
      status: 200,
    }),
    ...Object.fromEntries(
      ['push', 'pull', 'health'].flatMap((name) => [
        [`OPTIONS /federation/${name}`, async (): Promise<Case> => ({ status: 204 })],
        [
          `OPTIONS /federation/{key}/${name}`,
          async (): Promise<Case> => ({ params: { key: (await federation()).key }, status: 204 }),
        ],
      ]),
    ),
    'GET /api/v1/federations': async () => {
      await federation();
      return { status: 200 };
    },
    'DELETE /api/v1/federations/{name}': async () => ({
      params: { name: (await federation()).name },
      status: 200,
    }),
    'DELETE /api/v1/federations/{name}/agents/{agentId}': async () => {
      const f = await federation();
      return { params: { name: f.name, agentId: f.agent }, status: 200 };
    },
    'GET /api/v1/federation-keys': async () => ({ status: 200 }),
    'POST /api/v1/federation-keys': async () => ({
      body: { federation: unique('walk-fed'), label: 'walk', agentId: unique('walk-agent') },
      status: 201,
    }),
    'POST /api/v1/federation-keys/{id}/revoke': async () => ({
      params: { id: (await fedKey(unique('walk-fed'))).id },
      missing: { id: 'fk_walkmissing' },
      status: 200,
    }),
  };

  const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({
      key: `${method.toUpperCase()} ${path}`,
      method: method.toUpperCase(),
      path,
      op,
    })),
  );
  t.same(
    Object.keys(cases).sort(),
    operations.map((o) => o.key).sort(),
    'a case for every operation of the document, and none for an operation it lacks',
  );

  const pathOf = (template: string, params: Record<string, string>): string =>
    template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
  const roles = (op: OpenApiOperation): Role[] => (op['x-switchboard-roles'] ?? []) as Role[];
  /** The answer has the documented status and a body valid by its documented schema. */
  const answersAsDocumented = (
    t: Test,
    op: OpenApiOperation,
    what: string,
    r: Awaited<ReturnType<typeof send>>,
  ): void => {
    const documented = op.responses[String(r.status)];
    t.ok(documented, `${what}: ${r.status} is documented`);
    const [media, content] = Object.entries(documented?.content ?? {})[0] ?? [];
    if (!media || !content) return;
    t.ok(r.type.startsWith(media), `${what}: ${media} (got ${r.type})`);
    const value = media === 'application/json' ? r.json : r.text;
    t.same(answers.problems(content.schema, value), [], `${what}: the answer matches its schema`);
  };
  const params = (op: OpenApiOperation, where: 'path' | 'query'): OpenApiParameter[] =>
    (op.parameters ?? []).filter((p) => p.in === where);

  for (const { key, method, path, op } of operations) {
    const make = cases[key];
    if (!make) continue;
    await t.test(key, async (t) => {
      const c = await make();
      const role: Role | undefined = c.role ?? roles(op)[0];
      // What the case sends is valid by the document, or the walk proves nothing.
      for (const p of params(op, 'path'))
        t.same(requests.problems(p.schema, c.params?.[p.name]), [], `path ${p.name} is valid`);
      for (const [name, value] of Object.entries(c.query ?? {})) {
        const p = params(op, 'query').find((q) => q.name === name);
        t.ok(p, `query ${name} is documented`);
        if (p)
          t.same(
            requests.problems(p.schema, asQueryValue(p.schema, value)),
            [],
            `query ${name} is valid`,
          );
      }
      const bodySchema = op.requestBody?.content['application/json']?.schema;
      if (bodySchema && c.body !== undefined)
        t.same(requests.problems(bodySchema, c.body), [], 'the body is valid');
      if (c.body !== undefined) t.ok(bodySchema, 'a body only where the document has one');
      const target = pathOf(path, c.params ?? {});

      if (bodySchema) {
        const invalid = [{ __walk__: true }, [], 42].find(
          (b) => requests.problems(bodySchema, b).length > 0,
        );
        t.ok(invalid !== undefined, 'a body the document calls invalid');
        const r = await send(method, target, {
          role,
          body: invalid,
          query: c.query,
        });
        t.equal(r.status, 400, 'an invalid body is 400');
        answersAsDocumented(t, op, 'invalid body', r);
      }
      for (const p of params(op, 'path')) {
        const bad = invalidValue(p.schema);
        if (bad === undefined) continue;
        t.not(
          requests.problems(p.schema, bad).length,
          0,
          `${JSON.stringify(bad).slice(0, 20)} is invalid`,
        );
        const r = await send(method, pathOf(path, { ...c.params, [p.name]: bad }), {
          role,
          body: c.body,
          query: c.query,
        });
        t.equal(r.status, 400, `an invalid path ${p.name} is 400`);
        answersAsDocumented(t, op, `invalid path ${p.name}`, r);
      }
      for (const p of params(op, 'query')) {
        const bad = invalidValue(p.schema);
        if (bad === undefined) continue;
        t.not(
          requests.problems(p.schema, bad).length,
          0,
          `query ${p.name}=${bad.slice(0, 20)} is invalid`,
        );
        const r = await send(method, target, {
          role,
          body: c.body,
          query: { ...c.query, [p.name]: bad },
        });
        t.equal(r.status, 400, `an invalid query ${p.name} is 400`);
        answersAsDocumented(t, op, `invalid query ${p.name}`, r);
      }
      if (role) {
        const r = await send(method, target, {
          body: c.body,
          query: c.query,
        });
        t.equal(r.status, 401, 'no token: 401');
        answersAsDocumented(t, op, 'no token', r);
        const other = (['worker', 'producer'] as const).find((x) => !roles(op).includes(x));
        if (other) {
          const f = await send(method, target, {
            role: other,
            body: c.body,
            query: c.query,
          });
          t.equal(f.status, 403, `a ${other} token: 403`);
          answersAsDocumented(t, op, `role ${other}`, f);
        }
      }
      if (params(op, 'path').length && op.responses['404']) {
        const missing = Object.fromEntries(
          params(op, 'path').map((p) => [p.name, c.missing?.[p.name] ?? 'walk-missing']),
        );
        for (const p of params(op, 'path'))
          t.same(requests.problems(p.schema, missing[p.name]), [], `unknown ${p.name} is valid`);
        const r = await send(method, pathOf(path, missing), {
          role,
          body: c.body,
          query: c.query,
        });
        t.equal(r.status, 404, 'an unknown id: 404');
        answersAsDocumented(t, op, 'unknown id', r);
      }

      const r = await send(method, target, {
        role,
        body: c.body,
        query: c.query,
      });
      t.equal(r.status, c.status, `the request answers ${c.status} (${r.text.slice(0, 200)})`);
      answersAsDocumented(t, op, 'the request', r);
    });
  }
});

/** A query string value as an OpenAPI tool reads it for its schema: numbers are numbers. */
function asQueryValue(schema: Record<string, unknown>, value: string): unknown {
  const numeric = schema.type === 'integer' || schema.type === 'number';
  return numeric && value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : value;
}

/** A value a parameter's schema refuses, when the schema says enough to build one. */
function invalidValue(schema: Record<string, unknown>): string | undefined {
  if (Array.isArray(schema.enum)) return 'not-one-of-them';
  if (schema.type === 'integer' || schema.type === 'number') return 'not-a-number';
  if (typeof schema.pattern === 'string') return 'not valid!';
  if (typeof schema.maxLength === 'number') return 'x'.repeat(schema.maxLength + 1);
  return undefined;
}
