import { z } from 'zod';
import type { Hub } from '../../hub/hub.js';
import type { StreamEvent } from '../../hub/event-log.js';
import type { Route } from '../router.js';
import { parseQuery } from '../route-input.js';
import { mayUseQueue } from '../../auth/index.js';
import { taskIdSchema } from '../../../protocol/index.js';

const eventsQuery = z.strictObject({
  queue: z.string().max(1024).optional().describe('only these queues: `a,b`'),
  types: z
    .string()
    .max(1024)
    .optional()
    .describe('only these event types: `task.dead,worker.*` (a trailing `*` matches a prefix)'),
  taskId: taskIdSchema
    .optional()
    .describe("only this task's events (its history still in the buffer, with `lastEventId=0`)"),
  lastEventId: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .describe('resume after this id, as the `Last-Event-ID` header does; 0: the whole buffer'),
});
const eventStream = z
  .string()
  .describe(
    'Server-Sent Events: `id:`, `event:` (the type) and `data:` (the event as JSON) per event; a `reset` event first when the stream cannot continue from the id given.',
  );

/**
 * GET /api/v1/events: Server-Sent Events of task, worker, queue and node lifecycle.
 * `?queue=a,b`, `?types=task.completed,worker.removed` (a trailing `*` matches a prefix) and
 * `?taskId=` filter; `Last-Event-ID` (or `?lastEventId=`) replays what is still in the hub's buffer, after
 * a `reset` event when it cannot continue from that id (hub restarted, id too old, unknown).
 */
export function eventRoutes(hub: Hub, keepaliveMs = 15_000): Route[] {
  const stream: Route = {
    method: 'GET',
    path: '/api/v1/events',
    auth: ['admin'],
    doc: {
      summary: 'Live task, worker, queue, node and workspace events (Server-Sent Events)',
      description:
        'Resume with `Last-Event-ID` (or `?lastEventId=`) from the buffer of recent events; see docs/operations.md, Event stream.',
      tags: ['events'],
      query: eventsQuery,
      produces: 'text/event-stream',
      responses: { 200: eventStream },
    },
    handler: (ctx) => {
      const { req, res, grant } = ctx;
      const q = parseQuery(eventsQuery, ctx);
      const queues = q.queue ? new Set(q.queue.split(',')) : undefined;
      const types = q.types ? q.types.split(',') : undefined;
      const header = req.headers['last-event-id'];
      const lastId =
        q.lastEventId ??
        (typeof header === 'string' && /^\d+$/.test(header) ? Number(header) : undefined);
      const wanted = (e: StreamEvent): boolean => {
        // A queue-scoped token sees only its queues' events (events without a queue are
        // hub-wide: workers, nodes).
        if (grant?.queues && e.queue !== undefined && !mayUseQueue(grant, e.queue)) return false;
        if (q.taskId !== undefined && e.taskId !== q.taskId) return false;
        if (queues && (e.queue === undefined || !queues.has(e.queue))) return false;
        if (
          types &&
          !types.some((t) => (t.endsWith('*') ? e.type.startsWith(t.slice(0, -1)) : e.type === t))
        )
          return false;
        return true;
      };
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      // HEAD: the headers are the whole answer (Node holds them until end() for HEAD).
      if (req.method === 'HEAD') {
        res.end();
        return undefined;
      }
      res.write(`retry: 2000\n: switchboard event stream, last id ${hub.events.lastId}\n\n`);
      const write = (e: StreamEvent): void => {
        if (wanted(e)) res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
      };
      if (lastId !== undefined) {
        // 0 asks for all the buffer holds. Any other id the buffer cannot continue from is
        // said out loud (a `reset`, whatever the filters), then the whole buffer follows:
        // a client that gets nothing cannot tell "nothing happened" from "you missed it".
        const gap = lastId === 0 ? undefined : hub.events.gapAfter(lastId);
        const from = gap ? hub.events.firstId - 1 : lastId;
        if (gap) {
          const reset = {
            type: 'reset',
            at: Date.now(),
            reason: gap,
            lastEventId: lastId,
            firstId: hub.events.firstId,
          };
          res.write(`id: ${from}\nevent: reset\ndata: ${JSON.stringify(reset)}\n\n`);
        }
        for (const e of hub.events.since(from)) write(e);
      }
      const unsubscribe = hub.events.subscribe(write);
      const keepalive = setInterval(() => res.write(': keepalive\n\n'), keepaliveMs);
      keepalive.unref();
      // The stream ends when its token is revoked or expires, like a WebSocket session.
      const holder = `sse-${hub.ids.next()}`;
      const stop = (): void => {
        clearInterval(keepalive);
        unsubscribe();
        hub.liveGrants.remove(holder);
      };
      if (hub.authEnabled && grant) hub.liveGrants.add(holder, grant, () => res.end());
      req.on('close', stop);
      res.on('error', stop);
      return undefined;
    },
  };
  // The M3 coordination server's event stream path: the same stream, auth, filters and
  // resumption, one handler (an alias, not a copy that could drift).
  const m3: Route = {
    ...stream,
    path: '/ws',
    doc: {
      ...stream.doc!,
      summary: 'The event stream at the path of the M3 coordination server (= GET /api/v1/events)',
    },
  };
  return [stream, m3];
}
