// Every CSV export through the real server, with names a spreadsheet would run as formulas:
// one writer (api/render/csv.ts) prefixes them with an apostrophe, whichever export it is.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { startTestServer } from '../support/server.ts';
import { inventory } from '../services/fixtures.ts';

const hostile = ['=HYPERLINK("http://x.test","clic")', '+1+cmd|calc', '-2+3', '@SUM(A1)'];
let server: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  server = await startTestServer({ now: () => new Date('2026-12-05T18:00:00Z') });
  const renamed = await server.api('PATCH', '/api/v1/components/metepec-fibra', { name: hostile[0] });
  expect(renamed.status, await renamed.clone().text()).toBe(200);
  const services = inventory.services.map((s, i) => ({ ...s, company: hostile[i % 4], label: hostile[(i + 1) % 4] }));
  const put = await server.api('PUT', '/api/v1/services', { services });
  expect(put.status, await put.clone().text()).toBe(200);
  const imported = await server.api('POST', '/api/v1/subscribers/import', {
    confirmed: true,
    subscribers: [{ email: 'a@empresa.mx', components: ['toluca-fibra'], customer_id: 'C-1' }],
  });
  expect(imported.status, await imported.clone().text()).toBeLessThan(300);
}, 60_000);

afterAll(() => server?.close());

/** Every cell of a CSV body, the BOM removed. */
async function cells(res: Response): Promise<string[]> {
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
  const rows = parse((await res.text()).replace(/^\uFEFF/, '')) as string[][];
  return rows.flat();
}

function expectNeutralised(all: string[], expected: string[]) {
  for (const cell of all) expect(cell, cell).not.toMatch(/^[=+\-@]/);
  for (const name of expected) expect(all).toContain(`'${name}`);
}

describe('CSV exports never carry a formula', () => {
  it('the billing CSV (/api/v1/reports/services?format=csv)', async () => {
    expectNeutralised(
      await cells(await server.api('GET', '/api/v1/reports/services?month=2026-12&format=csv')),
      hostile,
    );
  });

  it('the public /disponibilidad/AAAA-MM.csv', async () => {
    expectNeutralised(await cells(await fetch(`${server.url}/disponibilidad/2026-12.csv`)), [hostile[0]]);
  });

  it('subscribers.csv, through the same writer (its fields cannot start a formula: addresses and ids are checked)', async () => {
    const all = await cells(await server.api('GET', '/api/v1/subscribers.csv'));
    expect(all.slice(0, 7)).toEqual(['id', 'email', 'kind', 'customer_id', 'confirmed_at', 'created_at', 'components']);
    expect(all).toContain('a@empresa.mx');
  });
});
