/**
 * The OpenAPI document (server/http/openapi.ts): it is a valid OpenAPI 3.1 document by a
 * real validator, it describes every route the hub serves (a route added without a `doc`
 * fails here), and the hub serves it at /api/v1/openapi.json without a token.
 */
import t from 'tap';
import { z } from 'zod';
import { Validator } from '@seriousme/openapi-schema-validator';
import { mintToken } from '../../server/auth/index.js';
import { Hub } from '../../server/hub/hub.js';
import { openApiDocument, operationId } from '../../server/http/openapi.js';
import { allRoutes } from '../../server/http/routes/index.js';
import type { Route } from '../../server/http/router.js';
import { startTestHub, testHubOptions } from '../helpers/hub.js';

const SECRET = 'openapi-document-secret-0123456789';

/** The routes the hub serves, read from the same code (never started: only its table is read). */
function liveRoutes(): Route[] {
  return allRoutes(new Hub(testHubOptions()));
}

t.test('the document is valid OpenAPI 3.1 (@seriousme/openapi-schema-validator)', async (t) => {
  const doc = openApiDocument(liveRoutes(), '0.0.0-test');
  const validator = new Validator();
  const result = await validator.validate(doc as unknown as Record<string, unknown>);
  t.same(result, { valid: true }, 'the validator finds no error');
  t.equal(validator.version, '3.1', 'validated as 3.1');
  // The verdict, in the test log of every CI run.
  t.comment(`openapi-schema-validator: ${JSON.stringify(result)}`);
  const broken = structuredClone(doc);
  delete (broken.paths['/api/v1/tasks']!.post!.responses['201'] as { description?: string })
    .description;
  t.equal(
    (await new Validator().validate(broken as unknown as Record<string, unknown>)).valid,
    false,
    'the same validator refuses a response without a description',
  );
});

t.test('every route of the hub has a doc that matches its path', async (t) => {
  for (const r of liveRoutes()) {
    const name = `${r.method} ${r.path}`;
    t.ok(r.doc, `${name} has a doc (server/http/route-doc.ts)`);
    if (!r.doc) continue;
    t.ok(r.doc.summary.length > 0, `${name}: a summary`);
    t.ok(r.doc.tags?.length, `${name}: a tag`);
    t.ok(
      Object.keys(r.doc.responses ?? {}).some((s) => Number(s) < 300),
      `${name}: documents its success answer`,
    );
    const names = [...r.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]);
    const declared =
      r.doc.params instanceof z.ZodObject ? Object.keys(r.doc.params.shape).sort() : [];
    t.same(declared, [...names].sort(), `${name}: doc.params declares exactly its path parameters`);
    if (r.doc.query) t.ok(r.doc.query instanceof z.ZodObject, `${name}: doc.query is an object`);
  }
});

t.test('operations: one per route, unique ids, security as the route says', async (t) => {
  const routes = liveRoutes();
  const doc = openApiDocument(routes, 'x');
  const ops = Object.values(doc.paths).flatMap((item) => Object.values(item));
  t.equal(ops.length, routes.length, 'one operation per route');
  t.equal(new Set(ops.map((o) => o.operationId)).size, ops.length, 'operationIds are unique');
  for (const r of routes) {
    const op = doc.paths[r.path.replace(/:(\w+)/g, '{$1}')]?.[r.method.toLowerCase()];
    t.ok(op, `${r.method} ${r.path} is in the document`);
    if (!op) continue;
    if (r.auth === 'open') {
      t.same(op.security, [], `${r.method} ${r.path}: open, security: []`);
    } else {
      t.same(op.security, [{ bearer: [] }], `${r.method} ${r.path}: a bearer token`);
      t.ok(op.responses['401'] && op.responses['403'], `${r.method} ${r.path}: 401 and 403`);
    }
    if (r.doc?.body) t.ok(op.responses['400'], `${r.method} ${r.path}: a body can be refused`);
  }
  t.equal(operationId({ method: 'POST', path: '/api/v1/tasks/:id/cancel' }), 'postTasksByIdCancel');
  t.equal(operationId({ method: 'GET', path: '/api/tasks/assign' }), 'getApiTasksAssign');
  t.throws(
    () => openApiDocument([...routes, routes[0]!], 'x'),
    /two routes for/,
    'a route twice is refused',
  );
});

t.test('request schemas are the input side: defaults and coercions are optional', async (t) => {
  const doc = openApiDocument(liveRoutes(), 'x');
  const list = doc.paths['/api/v1/tasks']!.get!;
  const limit = list.parameters!.find((p) => p.name === 'limit')!;
  t.equal(limit.required, false, 'limit has a default: not required');
  t.match(limit.schema, { type: 'integer', default: 100, minimum: 1, maximum: 1000 });
  const submit = doc.paths['/api/v1/tasks']!.post!;
  t.equal(submit.requestBody?.required, true);
  t.match(doc.components.schemas.TaskSpec, {
    type: 'object',
    additionalProperties: false,
    required: ['queue'],
  });
  const cancel = doc.paths['/api/v1/tasks/{id}/cancel']!.post!;
  t.equal(cancel.requestBody?.required, false, 'cancel takes no body, or a reason');
  t.notOk(
    'additionalProperties' in doc.components.schemas.Task!,
    'answers stay open to fields a later version adds',
  );
});

t.test('GET /api/v1/openapi.json: served without a token, the same document', async (t) => {
  const th = await startTestHub({ auth: { enabled: true, secret: SECRET } });
  t.teardown(() => th.stop());
  const res = await fetch(`${th.httpUrl}/api/v1/openapi.json`);
  t.equal(res.status, 200, 'no token needed');
  t.match(res.headers.get('content-type'), /^application\/json/);
  const served = (await res.json()) as Record<string, unknown>;
  t.same(served, JSON.parse(JSON.stringify(openApiDocument(allRoutes(th.hub), th.hub.version))));
  t.equal((served.info as { version: string }).version, 'test', "the hub's version");
  const admin = await mintToken(SECRET, { role: 'admin' });
  const again = await fetch(`${th.httpUrl}/api/v1/openapi.json`, {
    headers: { authorization: `Bearer ${admin}` },
  });
  t.same(await again.json(), served, 'built once, the same on every request');
  const refused = await fetch(`${th.httpUrl}/api/v1/queues`);
  t.equal(refused.status, 401, 'the routes it describes still need a token');
});
