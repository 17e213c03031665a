// The API reference page (/integraciones/api) as data: the OpenAPI description the API serves
// (api/openapi/document.ts), read into sections of operations with their fields in words. The
// page renders this; nothing here is written twice.
type Json = Record<string, unknown>;

export interface ApiField {
  name: string;
  required: boolean;
  /** The field's type and limits in words: «texto, hasta 200 caracteres». */
  type: string;
  description?: string;
}

export interface ApiOperation {
  id: string;
  method: string;
  path: string;
  summary: string;
  description?: string;
  /** «Público» or the token scope it needs. */
  access: string;
  parameters: ApiField[];
  body: ApiField[];
  bodyNote?: string;
  bodyTypes: string[];
  success: { status: string; description: string };
  errors: string[];
}

export interface ApiSection {
  title: string;
  id: string;
  operations: ApiOperation[];
}

const count = new Intl.NumberFormat('es-MX');

/** A description's `code spans` (CommonMark, as OpenAPI descriptions are written) as parts to render. */
export function codeSpans(text: string): Array<{ code: boolean; text: string }> {
  return text
    .split('`')
    .map((part, i) => ({ code: i % 2 === 1, text: part }))
    .filter((part) => part.text !== '');
}

/** A JSON Schema in a few words a developer reads at a glance. */
export function schemaInWords(schema: Json | undefined): string {
  if (!schema || Object.keys(schema).length === 0) return 'cualquier valor';
  if (Array.isArray(schema.anyOf) || Array.isArray(schema.oneOf)) {
    const options = (schema.anyOf ?? schema.oneOf) as Json[];
    return options.map((o) => (o.type === 'null' ? 'null' : schemaInWords(o))).join(' o ');
  }
  if (schema.const !== undefined) return `exactamente ${JSON.stringify(schema.const)}`;
  if (Array.isArray(schema.enum)) return `uno de: ${schema.enum.join(', ')}`;
  const limits: string[] = [];
  if (typeof schema.minLength === 'number' && schema.minLength > 0)
    limits.push(`mínimo ${count.format(schema.minLength)}`);
  if (typeof schema.maxLength === 'number') limits.push(`hasta ${count.format(schema.maxLength)} caracteres`);
  if (typeof schema.minimum === 'number') limits.push(`mínimo ${count.format(schema.minimum)}`);
  if (typeof schema.maximum === 'number' && schema.maximum < 2 ** 53 - 1)
    limits.push(`máximo ${count.format(schema.maximum)}`);
  if (typeof schema.minItems === 'number' && schema.minItems > 0)
    limits.push(`al menos ${count.format(schema.minItems)}`);
  if (typeof schema.maxItems === 'number') limits.push(`hasta ${count.format(schema.maxItems)}`);
  const withLimits = (what: string) => (limits.length ? `${what} (${limits.join(', ')})` : what);
  switch (schema.type) {
    case 'string':
      if (schema.format === 'date-time') return 'fecha y hora RFC 3339 con zona';
      if (typeof schema.pattern === 'string') return withLimits(`texto con el formato ${schema.pattern}`);
      return withLimits('texto');
    case 'integer':
      return withLimits('número entero');
    case 'number':
      return withLimits('número');
    case 'boolean':
      return 'true o false';
    case 'array':
      return withLimits(`lista de ${schemaInWords(schema.items as Json)}`);
    case 'object':
      if (schema.properties) return `objeto con ${Object.keys(schema.properties).join(', ')}`;
      if (schema.additionalProperties && typeof schema.additionalProperties === 'object')
        return `objeto de nombre → ${schemaInWords(schema.additionalProperties as Json)}`;
      return 'objeto';
    default:
      return 'cualquier valor';
  }
}

function fieldsOf(schema: Json | undefined): ApiField[] {
  const properties = (schema?.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema?.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    required: required.has(name),
    type: schemaInWords(property),
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
  }));
}

const slug = (text: string) =>
  text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/** The description's operations, grouped by tag in the order the document lists them. */
export function apiReference(description: {
  tags: Array<{ name: string }>;
  paths: Record<string, unknown>;
}): ApiSection[] {
  const sections = new Map(description.tags.map((t) => [t.name, [] as ApiOperation[]]));
  for (const [path, methods] of Object.entries(description.paths)) {
    for (const [method, raw] of Object.entries(methods as Record<string, Json>)) {
      const op = raw as Json & { responses: Record<string, Json>; tags: string[] };
      const parameters = ((op.parameters ?? []) as Json[])
        .filter((p) => p.in !== 'header')
        .map((p) => ({
          name: `${p.name as string}${p.in === 'query' ? ' (consulta)' : ''}`,
          required: Boolean(p.required),
          type: schemaInWords(p.schema as Json),
          ...(typeof p.description === 'string' ? { description: p.description } : {}),
        }));
      const content = ((op.requestBody as Json | undefined)?.content ?? {}) as Record<string, Json>;
      const [status, success] = Object.entries(op.responses).find(([s]) => Number(s) < 400)!;
      const scope = op['x-scope'] as string | undefined;
      sections.get(op.tags[0])?.push({
        id: String(op.operationId),
        method: method.toUpperCase(),
        path,
        summary: String(op.summary),
        ...(typeof op.description === 'string' ? { description: op.description } : {}),
        access: !scope || scope === 'public' ? 'Público, sin token' : `Token con alcance ${scope}`,
        parameters,
        body: fieldsOf(content['application/json']?.schema as Json | undefined),
        ...(typeof (op.requestBody as Json | undefined)?.description === 'string'
          ? { bodyNote: (op.requestBody as Json).description as string }
          : {}),
        bodyTypes: Object.keys(content),
        success: { status, description: String(success.description) },
        errors: Object.keys(op.responses).filter((s) => Number(s) >= 400),
      });
    }
  }
  return [...sections].map(([title, operations]) => ({ title, id: slug(title), operations }));
}
