import { z } from 'zod';
import {
  PRIORITY_NAMES,
  messageIdSchema,
  nameSchema,
  patternSchema,
  topicSchema,
} from '../../../protocol/index.js';
import type { Hub } from '../../hub/hub.js';
import { BusStreams } from '../bus-streams.js';
import type { BusStreamTiming } from '../bus-stream.js';
import { callerOf, type Route } from '../router.js';
import { parseQuery } from '../route-input.js';
import { errorJson } from '../schemas/error-json.js';
import { parseBody } from '../validate.js';

const QOS = ['at-most-once', 'at-least-once', 'exactly-once'] as const;

const publishBody = z.strictObject({
  topic: topicSchema.describe('a subject without wildcards: `orders.eu.created`'),
  data: z.unknown().optional().describe('any JSON value, delivered as it is'),
  qos: z
    .enum(QOS)
    .optional()
    .describe(
      'default at-most-once (not stored); at-least-once and exactly-once are stored, answered once durable',
    ),
  priority: z.enum(PRIORITY_NAMES as ['critical', 'high', 'normal', 'low']).optional(),
  ttlMs: z
    .number()
    .int()
    .min(1)
    .max(30 * 86_400_000)
    .optional()
    .describe('a stored message not delivered within this expires'),
  id: messageIdSchema
    .optional()
    .describe('your message id; exactly-once: a second publish of it within the window is dropped'),
});
const published = z.object({
  id: z
    .string()
    .nullable()
    .describe("yours, or the hub's for a stored message; null: at-most-once without one"),
  subscriptions: z
    .number()
    .int()
    .describe('subscriptions it was delivered to (at-most-once) or stored for'),
  duplicate: z.boolean().describe('an id already published within the dedup window'),
});

export const DEFAULT_STREAM_MAX_IN_FLIGHT = 1000;

const streamQuery = z.strictObject({
  topic: patternSchema.describe(
    'a subscription pattern: `*` one token, `>` the rest (`orders.*.created`, `orders.>`)',
  ),
  group: nameSchema.optional().describe('a queue group: each message goes to one member'),
  durable: nameSchema
    .optional()
    .describe(
      'a durable subscription: stored messages wait for it; the same one as over WebSocket',
    ),
  maxInFlight: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(DEFAULT_STREAM_MAX_IN_FLIGHT)
    .describe('stored messages sent and not confirmed, at most: the hub ends the connection then'),
  lastEventId: messageIdSchema
    .optional()
    .describe('resume after this message id, as the `Last-Event-ID` header does (the header wins)'),
});
const messageStream = z
  .string()
  .describe(
    'Server-Sent Events: `event: subscribed` first (`{stream, resumed}`), then `event: message` per message, `data:` `{topic, data, id, from, attempt, priority, publishedAt, qos}`; stored messages have `id:` (their message id). The hub ends the connection to have stored messages confirmed: reconnect with `Last-Event-ID` (docs/messaging.md, Over HTTP).',
  );

export const DEFAULT_STREAM_TIMING: BusStreamTiming = {
  keepaliveMs: 15_000,
  confirmAfterMs: 5_000,
  resumeGraceMs: 10_000,
};

/**
 * The message bus over HTTP: publish with POST /api/v1/messages, subscribe with Server-Sent
 * Events on GET /api/v1/messages/stream (server/http/bus-stream.ts has the ack rules).
 */
export function messageRoutes(hub: Hub, timing: BusStreamTiming = DEFAULT_STREAM_TIMING): Route[] {
  const gw = hub.gateway;
  // Confirmed well before `bus.ackWaitMs`, or the core would deliver on a live stream again.
  const ackWaitMs = hub.core.options.busAckWaitMs;
  const streams = new BusStreams(hub, {
    ...timing,
    confirmAfterMs: Math.min(timing.confirmAfterMs, Math.floor(ackWaitMs / 3)),
  });
  return [
    {
      method: 'POST',
      path: '/api/v1/messages',
      auth: ['worker', 'producer'],
      doc: {
        summary: 'Publish a message to a topic',
        description:
          'at-most-once (the default): 202 once handed to the subscribers connected now. at-least-once and exactly-once: 200 once stored durably. Token topic scopes apply.',
        tags: ['messages'],
        body: publishBody,
        responses: {
          200: published.describe('stored (at-least-once, exactly-once), and durable'),
          202: published.describe('at-most-once: handed to the subscribers connected now'),
          507: errorJson,
        },
      },
      handler: async (ctx) => {
        const b = parseBody(publishBody, ctx.body);
        const out = await gw.bus.publish(callerOf(ctx), {
          topic: b.topic,
          data: b.data,
          ...(b.qos === undefined ? {} : { qos: b.qos }),
          ...(b.priority === undefined ? {} : { priority: b.priority }),
          ...(b.ttlMs === undefined ? {} : { ttlMs: b.ttlMs }),
          ...(b.id === undefined ? {} : { id: b.id }),
        });
        const stored = b.qos !== undefined && b.qos !== 'at-most-once';
        return {
          status: stored ? 200 : 202,
          body: { id: out.id ?? null, subscriptions: out.subscriptions, duplicate: out.duplicate },
        };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/messages/stream',
      auth: ['worker', 'producer'],
      doc: {
        summary: 'Subscribe to a topic pattern (Server-Sent Events)',
        description:
          'Resume with `Last-Event-ID` (or `?lastEventId=`): what the client had is acked, the rest delivered again. See docs/messaging.md, Over HTTP.',
        tags: ['messages'],
        query: streamQuery,
        produces: 'text/event-stream',
        responses: { 200: messageStream, 409: errorJson },
      },
      handler: (ctx) => {
        const q = parseQuery(streamQuery, ctx);
        // EventSource reconnects to the same URL with the header: the header is the newer id.
        const header = ctx.req.headers['last-event-id'];
        const lastEventId =
          typeof header === 'string' && header !== ''
            ? parseBody(messageIdSchema, header, 'Last-Event-ID header')
            : q.lastEventId;
        const { grant } = callerOf(ctx);
        if (ctx.req.method === 'HEAD') {
          ctx.res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
          ctx.res.end();
          return undefined;
        }
        const { stream, resumed } = streams.open(
          grant,
          {
            pattern: q.topic,
            group: q.group,
            durable: q.durable,
            maxInFlight: q.maxInFlight,
          },
          lastEventId,
        );
        stream.connect(ctx.req, ctx.res, resumed);
        return undefined;
      },
    },
  ];
}
