import { describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { z } from 'zod';
import { publicFieldNames } from '#db/commands/input.ts';
import { testApp, testClock } from '../support/db.ts';
import { routeScopes } from '../../api/scopes.ts';
import { openApiPath } from '../../api/openapi/document.ts';
import { operations } from '../../api/openapi/operations.ts';
import { errorBody, v2Documents } from '../../api/openapi/responses.ts';

type Json = Record<string, unknown>;
interface Operation {
  parameters?: Array<{ name: string; in: string; example?: string }>;
  requestBody?: { content: Record<string, { schema: Json; example?: unknown }> };
  responses: Record<string, unknown>;
  security: Array<Record<string, string[]>>;
  'x-scope'?: string;
  'x-example-status'?: number;
}
interface Doc {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}

// The examples' times are around this instant (a maintenance two weeks ahead, samples a minute old).
const clock = testClock('2026-12-07T16:00:00Z');
const t = testApp({ clock });
const doc = (await (await t.app.request('/api/v1/openapi.json')).json()) as Doc;

// The document's own JSON Schemas (references resolved), to check real requests and answers
// against what it says, beside the zod schemas it was generated from.
const resolver = new Validator();
await resolver.validate(structuredClone(doc) as unknown as Parameters<Validator['validate']>[0]);
const resolved = resolver.resolveRefs() as unknown as Doc;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
/** Problems of a value against one of the document's schemas, in words. */
function schemaProblems(schema: unknown, value: unknown): string[] {
  const check = ajv.compile(schema as object);
  return check(value) ? [] : (check.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}
const jsonSchemaOf = (content: unknown) =>
  (content as { 'application/json': { schema: Json } })['application/json'].schema;

/** Every endpoint the app registers under /api/v1 and /api/v2, as `METHOD /openapi/{path}`. */
function registeredEndpoints(): Set<string> {
  const found = new Set<string>();
  for (const r of t.app.routes) {
    if (r.method === 'ALL' || r.method === 'OPTIONS') continue;
    if (!/^\/api\/v[12]\//.test(r.path)) continue;
    found.add(`${r.method} ${openApiPath(r.path)}`);
  }
  return found;
}

function documentedEndpoints(): Set<string> {
  return new Set(
    Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
    ),
  );
}

describe('GET /api/v1/openapi.json', () => {
  it('is public, CORS open, and a valid OpenAPI 3.1 document', async () => {
    const res = await t.app.request('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const etag = res.headers.get('etag');
    expect(etag).toBeTruthy();
    const again = await t.app.request('/api/v1/openapi.json', { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    const gzipped = await t.app.request('/api/v1/openapi.json', { headers: { 'accept-encoding': 'gzip' } });
    expect(gzipped.headers.get('content-encoding')).toBe('gzip');
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('lists every route the app registers under /api/v1 and /api/v2, and no other', () => {
    const registered = registeredEndpoints();
    const documented = documentedEndpoints();
    expect(
      [...registered].filter((e) => !documented.has(e)),
      'registered but not documented',
    ).toEqual([]);
    expect(
      [...documented].filter((e) => !registered.has(e)),
      'documented but not registered',
    ).toEqual([]);
    expect(registered.size).toBeGreaterThan(55);
  });

  it("states each /api/v1 route's token scope as the route declares it", () => {
    const declared = routeScopes(t.app.routes);
    expect(declared.length).toBeGreaterThan(45);
    for (const { method, path, scope } of declared) {
      const op = doc.paths[openApiPath(path)][method.toLowerCase()];
      expect(op['x-scope'], `${method} ${path}`).toBe(scope);
      expect(op.security, `${method} ${path}`).toEqual(scope === 'public' ? [] : [{ bearer: [scope] }]);
      if (scope !== 'public') expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '403']));
    }
    expect(doc.paths['/api/v1/subscribers'].post.security).toEqual([]);
    expect(doc.paths['/api/v1/incidents'].post['x-scope']).toBe('incidents');
  });

  it('names body fields as clients send them: the snake_case of the command schema keys, nested keys untouched', () => {
    const incident = doc.paths['/api/v1/incidents'].post.requestBody!.content['application/json'].schema;
    const properties = incident.properties as Record<string, Json>;
    expect(Object.keys(properties)).toEqual(expect.arrayContaining(['started_at', 'deliver_notifications', 'eta']));
    expect(Object.keys(properties)).not.toContain('startedAt');
    expect(incident.required).toEqual(['name', 'status', 'body']);
    // An instant is an RFC 3339 string in JSON (the console's Date branch is left out).
    expect(properties.started_at).toMatchObject({ type: 'string', format: 'date-time' });
    expect(properties.eta).toMatchObject({ anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }] });
    // Alertmanager's own document keeps Alertmanager's names.
    const am = doc.paths['/api/v1/alerts/alertmanager'].post.requestBody!.content['application/json'].schema;
    expect(Object.keys(am.properties as Json)).toEqual(expect.arrayContaining(['groupKey', 'commonLabels']));

    for (const [key, op] of Object.entries(operations)) {
      if (op.body?.names !== 'public' || !(op.body.schema instanceof z.ZodObject)) continue;
      const [method, path] = key.split(' ');
      const schema = doc.paths[openApiPath(path)][method.toLowerCase()].requestBody!.content['application/json'].schema;
      expect(Object.keys(schema.properties as Json).sort(), key).toEqual(
        [...publicFieldNames(op.body.schema).keys()].sort(),
      );
    }
  });

  it('documents the one error shape, and a refusal matches it with public field names', async () => {
    const bad = await t.json('POST', '/api/v1/incidents', {
      name: 'x',
      status: 'identified',
      body: 'y',
      started_at: 'ayer',
    });
    expect(bad.status).toBe(422);
    const body = errorBody.parse(await bad.json());
    expect(body.error.fields?.map((f) => f.path)).toEqual(['started_at']);
    const op = doc.paths['/api/v1/incidents'].post;
    expect(op.responses['422']).toEqual({ $ref: '#/components/responses/Error422' });
  });
});

describe('every documented example, sent to the real app', () => {
  // Ids the examples create, by the collection path that made them ('/api/v1/incidents'), and
  // updates by '/api/v1/incidents/{id}/updates': later examples' path parameters use them.
  const created = new Map<string, string>();

  function concretePath(path: string, op: Operation): string {
    let prefix = '';
    return path.replace(/\/([^/]*)/g, (segment, part: string) => {
      const param = /^\{(.+)\}$/.exec(part)?.[1];
      const value = param
        ? (created.get(prefix) ?? op.parameters!.find((p) => p.in === 'path' && p.name === param)!.example!)
        : part;
      prefix += segment;
      return `/${encodeURIComponent(value)}`;
    });
  }

  function remember(path: string, body: unknown) {
    if (path.includes('{') || !body || typeof body !== 'object') return;
    const b = body as Json;
    if (typeof b.id === 'string') created.set(path, b.id);
    const updates = b.incident_updates as Json[] | undefined;
    if (updates?.[0]) created.set(`${path}/{id}/updates`, updates[0].id as string);
    const lists = Object.values(b).filter(Array.isArray);
    if (lists.length === 1 && typeof (lists[0][0] as Json | undefined)?.id === 'string')
      created.set(path, (lists[0][0] as Json).id as string);
  }

  it('answers each /api/v1 example with its documented status and a body its schema parses', async () => {
    // Every mismatch is collected, so one run lists them all.
    const problems: string[] = [];
    for (const [key, entry] of Object.entries(operations)) {
      const [method, honoPath] = key.split(' ');
      const path = openApiPath(honoPath);
      const op = doc.paths[path][method.toLowerCase()];
      const query = new URLSearchParams(
        (op.parameters ?? [])
          .filter((p) => p.in === 'query' && p.example !== undefined)
          .map((p) => [p.name, p.example!]),
      );
      const url = concretePath(path, op) + (query.size ? `?${query}` : '');
      const example = op.requestBody?.content['application/json'].example;
      const requestSchema = resolved.paths[path][method.toLowerCase()].requestBody?.content['application/json'].schema;
      if (requestSchema)
        problems.push(...schemaProblems(requestSchema, example).map((p) => `${key}: example request ${p}`));
      const res = await t.json(method, url, example);
      const expected =
        op['x-example-status'] ??
        Math.min(
          ...Object.keys(op.responses)
            .map(Number)
            .filter((s) => s < 300),
        );
      const text = await res.text();
      if (!(String(expected) in op.responses)) problems.push(`${key}: example status ${expected} is not documented`);
      if (res.status !== expected) {
        problems.push(`${method} ${url}: ${res.status}, documented ${expected}: ${text.slice(0, 300)}`);
        continue;
      }
      const documented = (resolved.paths[path][method.toLowerCase()].responses[String(expected)] ?? {}) as Json;
      if (expected >= 400) {
        const parsed = errorBody.safeParse(JSON.parse(text));
        if (!parsed.success) problems.push(`${key}: error body ${z.prettifyError(parsed.error)}`);
        problems.push(...schemaProblems(jsonSchemaOf(documented.content), JSON.parse(text)).map((p) => `${key}: ${p}`));
        continue;
      }
      if (expected === 204 || entry.success.csv === 'only') continue;
      const parsed = entry.success.schema!.safeParse(JSON.parse(text));
      if (!parsed.success) problems.push(`${key}: answer vs. its zod schema: ${z.prettifyError(parsed.error)}`);
      problems.push(
        ...schemaProblems(jsonSchemaOf(documented.content), JSON.parse(text)).map((p) => `${key}: answer ${p}`),
      );
      remember(path, JSON.parse(text));
    }
    expect(problems).toEqual([]);
  });

  it('answers CSV where documented', async () => {
    const csv = await t.app.request('/api/v1/reports/services?month=2026-11&format=csv', { headers: t.auth });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(Object.keys(doc.paths['/api/v1/reports/services'].get.responses['200'] as Json)).toContain('content');
  });

  it('answers each public /api/v2 document with a body its schema parses', async () => {
    for (const [name, schema] of Object.entries(v2Documents)) {
      const op = doc.paths[`/api/v2/${name}`].get;
      expect(op.security).toEqual([]);
      const res = await t.app.request(`/api/v2/${name}`);
      expect(res.status).toBe(200);
      const body = await res.json();
      const parsed = schema.safeParse(body);
      expect(parsed.error?.issues ?? [], name).toEqual([]);
      const documented = resolved.paths[`/api/v2/${name}`].get.responses['200'] as Json;
      expect(schemaProblems(jsonSchemaOf(documented.content), body), name).toEqual([]);
    }
  });
});
