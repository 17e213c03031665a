// /integraciones/api: the API reference as a public page, rendered on the server from the same
// OpenAPI description GET /api/v1/openapi.json serves, with no script.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../support/server.ts';
import { codeSpans, schemaInWords } from '../../site/lib/apiReference.ts';

let server: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

describe('/integraciones/api', () => {
  it('lists every operation of the OpenAPI document with its access, fields and statuses, without script', async () => {
    const res = await fetch(`${server.url}/integraciones/api`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('href="/api/v1/openapi.json"');
    const doc = (await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { operationId: string; summary: string }>>;
    };
    let operations = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        operations++;
        const heading = new RegExp(
          `<h3 id="${op.operationId}"[^>]*>\\s*<code[^>]*>\\s*${method.toUpperCase()} ${path.replace(/[.{}]/g, '\\$&')}\\s*</code>`,
        );
        expect(html, `${method} ${path}`).toMatch(heading);
      }
    }
    expect(operations).toBeGreaterThan(60);
    // A field in the request's own name, with its limits and whether it is required.
    const incident = html.slice(html.indexOf('id="postV1Incidents"'), html.indexOf('id="getV1IncidentsId"'));
    expect(incident).toContain('Token con alcance incidents');
    expect(incident).toMatch(/<code[^>]*>name<\/code>\s*\(obligatorio\): texto \(mínimo 1, hasta 200 caracteres\)/);
    expect(incident).toMatch(/<code[^>]*>started_at<\/code>: fecha y hora RFC 3339 con zona/);
    expect(incident).not.toContain('startedAt');
    expect(html).toContain('Público, sin token');
  });

  it('says a schema in words and shows code spans as code', () => {
    expect(schemaInWords({ anyOf: [{ type: 'string', maxLength: 2000 }, { type: 'null' }] })).toBe(
      'texto (hasta 2,000 caracteres) o null',
    );
    expect(schemaInWords({ type: 'array', maxItems: 500, items: { type: 'string', enum: ['a', 'b'] } })).toBe(
      'lista de uno de: a, b (hasta 500)',
    );
    expect(codeSpans('Sin token (`unauthorized`).')).toEqual([
      { code: false, text: 'Sin token (' },
      { code: true, text: 'unauthorized' },
      { code: false, text: ').' },
    ]);
  });
});
