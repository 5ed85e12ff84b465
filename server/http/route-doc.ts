import type { z } from 'zod';

/**
 * What a route takes and answers: the zod schemas its handler validates with, declared
 * once on the route so the same schemas describe it in the OpenAPI document. A route with
 * a body or query validates exactly what it declares here.
 */
export interface RouteDoc {
  /** One line, for the OpenAPI operation's summary. */
  summary: string;
  /** More, when one line is not enough (the operation's description; Markdown). */
  description?: string;
  /** Groups in the document (tasks, queues, workers, nodes, federation, ...). */
  tags?: string[];
  /** When the one derived from the path is taken (two paths that differ only by /api/v1). */
  operationId?: string;
  /** An object schema, one key per `:name` of the path. */
  params?: z.ZodType;
  /** An object schema, one key per query parameter. */
  query?: z.ZodType;
  body?: z.ZodType;
  /** Answers by status: the JSON body's schema, or null for one without a body. */
  responses?: Record<number, z.ZodType | null>;
  /**
   * The media type of its 2xx answers when they are not JSON (the event stream, Prometheus
   * text); their schema then describes the text.
   */
  produces?: string;
}
