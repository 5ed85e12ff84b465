import { STATUS_CODES } from 'node:http';
import { z } from 'zod';
import type { RouteDoc } from './route-doc.js';
import type { Route } from './router.js';
import { errorJson } from './schemas/error-json.js';

/** A JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) as plain data. */
export type JsonSchema = { [key: string]: unknown };

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

export interface OpenApiResponse {
  description: string;
  content?: Record<string, { schema: JsonSchema }>;
}

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  description?: string;
  tags?: string[];
  parameters?: OpenApiParameter[];
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, OpenApiResponse>;
  security: Record<string, string[]>[];
  /** The roles a token must have (admin always may); absent on open routes. */
  'x-switchboard-roles'?: string[];
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: {
    title: string;
    version: string;
    description: string;
    license: { name: string; identifier: string };
  };
  tags: { name: string }[];
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: {
    schemas: Record<string, JsonSchema>;
    securitySchemes: Record<string, JsonSchema>;
  };
  security: Record<string, string[]>[];
}

const BEARER = 'bearer';
const SCHEMA_REF = '#/components/schemas/';

/** Answers every route may give besides its own, described once here. */
const GENERIC: Record<number, string> = {
  400: 'A path parameter, query parameter or body field is invalid (INVALID_FRAME, naming it; `details.issues` lists them), or the body is not JSON (INVALID_JSON).',
  401: 'No valid bearer token (UNAUTHORIZED).',
  403: "The token's role, identity or queues do not allow it (FORBIDDEN).",
  413: 'The body is larger than `server.maxFrameBytes` (BODY_TOO_LARGE).',
  415: 'The body is not `application/json` (UNSUPPORTED_MEDIA_TYPE).',
  503: 'The hub is recovering its state (NOT_READY), draining (SHUTTING_DOWN) or cannot persist (STORE_UNAVAILABLE, ENGINE_UNAVAILABLE).',
};

/**
 * The OpenAPI 3.1 document of the side port, generated from the route table: each route's
 * `doc` (the zod schemas its handler validates with) becomes an operation, converted by
 * zod's own `z.toJSONSchema` (draft 2020-12). Schemas with a `meta({ id })` become
 * components; the error body every refusal shares is `Error`.
 */
export function openApiDocument(routes: readonly Route[], version: string): OpenApiDocument {
  const schemas: Record<string, JsonSchema> = {};
  // The error body and the shared shapes recur in every operation: each is converted once.
  const converted = {
    input: new Map<z.ZodType, JsonSchema>(),
    output: new Map<z.ZodType, JsonSchema>(),
  };
  const convert = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
    let json = converted[io].get(schema);
    if (!json) converted[io].set(schema, (json = toSchema(schema, io, schemas)));
    return json;
  };
  const paths: OpenApiDocument['paths'] = {};
  const operationIds = new Set<string>();
  const tags = new Set<string>();
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const method = route.method.toLowerCase();
    const item = (paths[path] ??= {});
    if (item[method]) throw new Error(`two routes for ${route.method} ${route.path}`);
    const op = operation(route, route.doc ?? { summary: `${route.method} ${route.path}` }, convert);
    if (operationIds.has(op.operationId))
      throw new Error(`operationId ${op.operationId} is taken (${route.method} ${route.path})`);
    operationIds.add(op.operationId);
    for (const t of op.tags ?? []) tags.add(t);
    item[method] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Switchboard',
      version,
      description:
        'The HTTP side port of a Switchboard hub: the REST API (/api/v1), the Cortex-compatible paths (/api/...), health, metrics and the event stream. Generated from the zod schemas the routes validate with (server/http/openapi.ts); see docs/api.md.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    tags: [...tags].sort().map((name) => ({ name })),
    paths,
    components: {
      schemas,
      securitySchemes: {
        [BEARER]: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            "A token minted by `switchboard token create` (HS256, the hub's secret). Not needed in the development preset, which runs without authentication.",
        },
      },
    },
    security: [{ [BEARER]: [] }],
  };
}

function operation(
  route: Route,
  doc: RouteDoc,
  convert: (schema: z.ZodType, io: 'input' | 'output') => JsonSchema,
): OpenApiOperation {
  const open = route.auth === 'open';
  const roles = open ? [] : [...new Set([...route.auth, 'admin'])];
  const parameters = [
    ...parametersOf(route, 'path', doc.params, convert),
    ...parametersOf(route, 'query', doc.query, convert),
  ];
  const responses: Record<string, OpenApiResponse> = {};
  for (const [status, schema] of Object.entries(doc.responses ?? {})) {
    const s = Number(status);
    const media = s < 300 && doc.produces ? doc.produces : 'application/json';
    responses[status] = {
      description: schema?.description ?? GENERIC[s] ?? STATUS_CODES[s] ?? status,
      ...(schema ? { content: { [media]: { schema: convert(schema, 'output') } } } : {}),
    };
  }
  const generic = (status: number): void => {
    responses[status] ??= {
      description: GENERIC[status]!,
      content: { 'application/json': { schema: convert(errorJson, 'output') } },
    };
  };
  if (parameters.length > 0 || doc.body) generic(400);
  if (!open) [401, 403].forEach(generic);
  if (doc.body) [413, 415].forEach(generic);
  if (!open) generic(503);
  responses.default = {
    description: 'Any other refusal or failure, with its registry code.',
    content: { 'application/json': { schema: convert(errorJson, 'output') } },
  };
  const description = [
    doc.description,
    open ? 'Open: no token needed.' : `Role: ${roles.join(' or ')}.`,
  ].filter(Boolean);
  return {
    operationId: route.doc?.operationId ?? operationId(route),
    summary: doc.summary,
    description: description.join('\n\n'),
    ...(doc.tags ? { tags: doc.tags } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(doc.body
      ? {
          requestBody: {
            // parseBody reads a missing body as {}: it is optional when {} is valid.
            required: !doc.body.safeParse({}).success,
            content: { 'application/json': { schema: convert(doc.body, 'input') } },
          },
        }
      : {}),
    responses,
    security: open ? [] : [{ [BEARER]: [] }],
    ...(open ? {} : { 'x-switchboard-roles': roles }),
  };
}

/** One parameter per key of the object schema; path parameters the doc omits are strings. */
function parametersOf(
  route: Route,
  where: 'path' | 'query',
  schema: z.ZodType | undefined,
  convert: (schema: z.ZodType, io: 'input' | 'output') => JsonSchema,
): OpenApiParameter[] {
  const shape: Record<string, z.ZodType> = schema instanceof z.ZodObject ? { ...schema.shape } : {};
  if (where === 'path') {
    for (const m of route.path.matchAll(/:([A-Za-z0-9_]+)/g)) shape[m[1]!] ??= z.string();
  }
  return Object.entries(shape).map(([name, field]) => {
    const { description, ...fieldSchema } = convert(field, 'input');
    return {
      name,
      in: where,
      required: where === 'path' || !field.safeParse(undefined).success,
      ...(typeof description === 'string' ? { description } : {}),
      schema: fieldSchema,
    };
  });
}

/** `POST /api/v1/tasks/:id/cancel` → `postTasksByIdCancel`; the compatible paths keep `api`. */
export function operationId(route: Pick<Route, 'method' | 'path'>): string {
  const words = route.path
    .replace(/^\/api\/v1(?=\/|$)/, '')
    .split(/[/._-]/)
    .filter(Boolean)
    .map((w) => (w.startsWith(':') ? `by-${w.slice(1)}` : w));
  const camel = words
    .flatMap((w) => w.split('-'))
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
  return route.method.toLowerCase() + camel;
}

/**
 * One zod schema as an OpenAPI schema: its named parts (`meta({ id })`) go to the shared
 * components, refs rewritten to point there; the same id for two different schemas throws.
 * Answers (`output`) keep plain `z.object`s open (no `additionalProperties: false`), so a
 * field a later version adds breaks no client; request bodies are as strict as they are.
 */
function toSchema(
  schema: z.ZodType,
  io: 'input' | 'output',
  components: Record<string, JsonSchema>,
): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    override: ({ zodSchema, jsonSchema }) => {
      const def = zodSchema._zod.def;
      if (io === 'output' && def.type === 'object' && !('catchall' in def && def.catchall))
        delete jsonSchema.additionalProperties;
    },
  }) as JsonSchema;
  const { $schema: _dialect, $defs, ...rest } = json;
  for (const [id, def] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) {
    const moved = rewriteRefs(def) as JsonSchema;
    const had = components[id];
    if (had && JSON.stringify(had) !== JSON.stringify(moved))
      throw new Error(`two different schemas are named ${id}`);
    components[id] = moved;
  }
  return rewriteRefs(rest) as JsonSchema;
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')
        ? SCHEMA_REF + v.slice('#/$defs/'.length)
        : rewriteRefs(v);
  }
  return out;
}
