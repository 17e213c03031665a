// The OpenAPI 3.1 description of /api/v1 and the public /api/v2 documents (GET /api/v1/openapi.json),
// generated, not written: each route's method, path and token scope come from the app's route
// table (api/scopes.ts), request bodies from the zod schemas the commands parse them with
// (converted by zod's own z.toJSONSchema, as the command receives them: io 'input'), answers from
// api/openapi/responses.ts, and the words and examples from api/openapi/operations.ts.
import { z } from 'zod';
import type { RouterRoute } from 'hono/types';
import { historicInstant, instant, publicFieldNames } from '#db/commands/input.ts';
import { apiScopeLabels } from '#db/enums.ts';
import { MAX_BODY_BYTES } from '../http.ts';
import { routeScopes, type RouteScope } from '../scopes.ts';
import { operations, v2Summaries, type BodyDoc, type OperationDoc } from './operations.ts';
import { errorBody, v2Documents } from './responses.ts';

type JsonSchema = Record<string, unknown>;

/** Where each error status comes from; `code` values are stable, `message` is Spanish for people. */
const ERRORS: Record<number, string> = {
  400: 'JSON mal formado o vacío (`invalid_json`, `empty_body`), o un enlace incompleto (`invalid_token`).',
  401: 'Sin token, o un token inválido o vencido (`unauthorized`); en /subscribers/verify, un código equivocado (`invalid_code`).',
  403: 'El token no tiene el alcance de la ruta (`insufficient_scope`; `WWW-Authenticate` lo nombra).',
  404: 'No existe el objeto (`not_found`).',
  409: 'Conflicto: identificador ocupado (`slug_taken`) o el estado del objeto no lo permite.',
  413: 'El cuerpo supera el máximo de la ruta (`payload_too_large`).',
  415: 'El cuerpo no es `application/json` (ni `text/csv` donde la ruta lo acepta): `unsupported_media_type`.',
  422: 'Campos no válidos (`validation_failed`, con `fields`), componentes o zonas desconocidos, o una regla del manual (`notice_too_short`, `invalid_window`…).',
  429: 'Demasiadas solicitudes (`rate_limited`); `Retry-After` dice cuándo volver.',
  503: 'Base de datos ocupada por otro proceso (`database_busy`) o disco lleno (`storage_full`); `Retry-After`.',
};

/** `/incidents/:id` → `/incidents/{id}`. */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

/**
 * zod → JSON Schema: what a client sends (io 'input') or what the API answers (io 'output': an
 * answer's objects list every field, `additionalProperties: false`, so a renderer that adds one
 * without its schema fails the example test). An instant (db/commands/input.ts) accepts a Date
 * from the console and CLI or an RFC 3339 string from the API: JSON can only carry the string.
 * Refinements (`.refine`, `.check`) have no JSON Schema form and are left out (the 422 explains
 * them); transforms do not change what is sent, so io 'input' shows the value before them.
 */
function toJsonSchema(
  schema: z.ZodType,
  defs: Record<string, JsonSchema>,
  io: 'input' | 'output' = 'input',
): JsonSchema {
  const out = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
    override: (ctx) => {
      const json = ctx.jsonSchema as JsonSchema;
      if (ctx.zodSchema === instant || ctx.zodSchema === historicInstant) {
        for (const key of Object.keys(json)) delete json[key];
        Object.assign(json, {
          type: 'string',
          format: 'date-time',
          description: 'Con zona (Z o ±hh:mm), p. ej. 2026-12-07T09:40:00-06:00.',
        });
      } else if (ctx.zodSchema._zod.def.type === 'date') {
        json['x-date'] = true;
      }
    },
  }) as JsonSchema;
  delete out.$schema;
  const named = out.$defs as Record<string, JsonSchema> | undefined;
  delete out.$defs;
  for (const [id, def] of Object.entries(named ?? {})) defs[id] = withoutDates(referencesToComponents(def));
  return withoutDates(referencesToComponents(out));
}

function referencesToComponents(schema: JsonSchema): JsonSchema {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/$defs/', '"#/components/schemas/')) as JsonSchema;
}

/** A Date branch of a union is for callers inside the process; the JSON keeps the other branches. */
function withoutDates(node: unknown): JsonSchema {
  if (Array.isArray(node)) return node.map(withoutDates) as unknown as JsonSchema;
  if (!node || typeof node !== 'object') return node as JsonSchema;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) out[key] = withoutDates(value);
  if (Array.isArray(out.anyOf)) {
    const kept = (out.anyOf as JsonSchema[]).filter((s) => !s['x-date']);
    delete out.anyOf;
    if (kept.length === 1) Object.assign(out, kept[0]);
    else out.anyOf = kept;
  }
  return out;
}

/**
 * A command's schema keys (`startedAt`) as the API's JSON names them (`started_at`): the same
 * mapping `commandInput` applies to a body (publicFieldNames), top-level keys only.
 */
function withPublicNames(json: JsonSchema, schema: z.ZodType): JsonSchema {
  if (!(schema instanceof z.ZodObject)) return json;
  const toPublic = new Map([...publicFieldNames(schema)].map(([pub, key]) => [key, pub]));
  const properties = json.properties as Record<string, JsonSchema> | undefined;
  return {
    ...json,
    ...(properties
      ? { properties: Object.fromEntries(Object.entries(properties).map(([k, v]) => [toPublic.get(k) ?? k, v])) }
      : {}),
    ...(Array.isArray(json.required) ? { required: json.required.map((k: string) => toPublic.get(k) ?? k) } : {}),
  };
}

function requestBody(body: BodyDoc, defs: Record<string, JsonSchema>) {
  const json = toJsonSchema(body.schema, defs);
  const schema = body.names === 'public' ? withPublicNames(json, body.schema) : json;
  return {
    required: !body.optional,
    description: `Hasta ${Math.round((body.maxBytes ?? MAX_BODY_BYTES) / 1024)} KB.${body.optional ? ' Puede ir vacío.' : ''}`,
    content: {
      'application/json': { schema, example: body.example },
      ...(body.csv
        ? { 'text/csv': { schema: { type: 'string', description: body.csv.description }, example: body.csv.example } }
        : {}),
    },
  };
}

function queryParameters(op: OperationDoc, defs: Record<string, JsonSchema>) {
  if (!op.query) return [];
  const json = toJsonSchema(op.query, defs);
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, schema]) => {
    const { description, ...rest } = schema;
    return {
      name,
      in: 'query',
      required: required.has(name),
      ...(description ? { description } : {}),
      schema: rest,
      ...(op.queryExample?.[name] !== undefined ? { example: op.queryExample[name] } : {}),
    };
  });
}

function pathParameters(path: string, op: OperationDoc) {
  return [...path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    description: op.params?.[name]?.description ?? name,
    schema: { type: 'string' },
    example: op.params?.[name]?.example ?? 'x',
  }));
}

const errorRef = (status: number) => ({ $ref: `#/components/responses/Error${status}` });

/** The error statuses a route can answer: its kind's (token, body, query) and its own. */
function errorStatuses(scope: RouteScope | undefined, op: OperationDoc): number[] {
  const statuses = new Set(op.errors ?? []);
  if (scope !== 'public') [401, 403].forEach((s) => statuses.add(s));
  if (op.body) [400, 413, 415, 422].forEach((s) => statuses.add(s));
  if (op.query) statuses.add(422);
  statuses.add(503);
  return [...statuses].sort((a, b) => a - b);
}

function successResponse(op: OperationDoc, defs: Record<string, JsonSchema>) {
  const { success } = op;
  const content: Record<string, unknown> = {};
  if (success.schema && success.csv !== 'only')
    content['application/json'] = {
      schema: toJsonSchema(success.schema, defs, success.asRequest ? 'input' : 'output'),
    };
  if (success.csv) content['text/csv'] = { schema: { type: 'string' } };
  return { description: success.description, ...(Object.keys(content).length ? { content } : {}) };
}

function operation(
  method: string,
  path: string,
  op: OperationDoc,
  scope: RouteScope | undefined,
  defs: Record<string, JsonSchema>,
) {
  const parameters = [...pathParameters(path, op), ...queryParameters(op, defs)];
  const responses: Record<string, unknown> = { [op.success.status]: successResponse(op, defs) };
  for (const status of errorStatuses(scope, op)) responses[status] = errorRef(status);
  return {
    operationId: `${method.toLowerCase()}${openApiPath(path)
      .replace(/^\/api/, '')
      .replace(/[{}]/g, '')
      .split(/[^A-Za-z0-9]+/)
      .filter(Boolean)
      .map((w) => w[0].toUpperCase() + w.slice(1))
      .join('')}`,
    tags: [op.tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    ...(scope === undefined ? {} : { 'x-scope': scope }),
    security: scope === 'public' ? [] : [{ bearer: scope ? [scope] : [] }],
    ...(parameters.length ? { parameters } : {}),
    ...(op.body ? { requestBody: requestBody(op.body, defs) } : {}),
    responses,
    ...(op.exampleStatus ? { 'x-example-status': op.exampleStatus } : {}),
  };
}

function v2Operation(path: keyof typeof v2Documents, defs: Record<string, JsonSchema>) {
  return {
    operationId: `getV2${path
      .replace(/\.json$/, '')
      .split(/[^A-Za-z0-9]+/)
      .map((w) => w[0].toUpperCase() + w.slice(1))
      .join('')}`,
    tags: ['Público (Statuspage v2)'],
    summary: v2Summaries[path],
    security: [],
    parameters: [
      {
        name: 'If-None-Match',
        in: 'header',
        required: false,
        description: 'El ETag de una lectura anterior: 304 si nada cambió.',
        schema: { type: 'string' },
      },
    ],
    responses: {
      200: {
        description: 'El documento, con ETag y CORS abierto.',
        headers: { ETag: { schema: { type: 'string' } } },
        content: { 'application/json': { schema: toJsonSchema(v2Documents[path], defs, 'output') } },
      },
      304: { description: 'Sin cambios desde el ETag enviado.' },
    },
  };
}

/**
 * The document for an app's route table. Operations are listed in the order of
 * api/openapi/operations.ts (the examples' order); a route without an entry there is left out,
 * and an entry without a route keeps no scope: the test finds both.
 */
export function openApiDocument(routes: readonly RouterRoute[], publicUrl: string) {
  const scopes = new Map(routeScopes(routes).map((e) => [`${e.method} ${e.path}`, e.scope]));
  const defs: Record<string, JsonSchema> = {};
  const paths: Record<string, Record<string, unknown>> = {};
  const add = (path: string, method: string, value: unknown) => {
    (paths[openApiPath(path)] ??= {})[method.toLowerCase()] = value;
  };
  for (const [key, op] of Object.entries(operations)) {
    const [method, path] = key.split(' ');
    add(path, method, operation(method, path, op, scopes.get(key), defs));
  }
  for (const path of Object.keys(v2Documents) as Array<keyof typeof v2Documents>)
    add(`/api/v2/${path}`, 'GET', v2Operation(path, defs));

  const responses = Object.fromEntries(
    Object.entries(ERRORS).map(([status, description]) => [
      `Error${status}`,
      { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    ]),
  );
  toJsonSchema(errorBody, defs, 'output');

  return {
    openapi: '3.1.1',
    info: {
      title: 'SOMNET · estado de la red',
      version: '1',
      summary: 'API del NOC (/api/v1) y documentos públicos compatibles con Statuspage (/api/v2).',
      description:
        'Los cuerpos de /api/v1 se validan con los mismos esquemas que este documento muestra; los errores tienen siempre la forma { error: { code, message, fields? } }. Tiempos en RFC 3339 con zona. Los alcances de cada token: ' +
        Object.entries(apiScopeLabels)
          .map(([scope, label]) => `${scope} (${label})`)
          .join(', ') +
        '.',
    },
    servers: [{ url: publicUrl }],
    tags: [...new Set(Object.values(operations).map((o) => o.tag)), 'Público (Statuspage v2)'].map((name) => ({
      name,
    })),
    paths,
    components: {
      schemas: defs,
      responses,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            'Token del NOC (snt_…), creado con `npm run noc -- token create` o en /noc/admin/tokens. El alcance que cada operación requiere está en su `security` y en `x-scope`.',
        },
      },
    },
  };
}

export type ApiDescription = ReturnType<typeof openApiDocument>;
