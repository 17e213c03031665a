// The published snapshot and alerts: a status an alert moves is published like any
// committed write; drafts never reach a published file; a group resent unchanged publishes nothing.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileFor } from '../../api/publish/files.ts';
import { statusOnPage } from '../support/alertmanager.ts';
import { freshDb, testClock } from '../support/db.ts';
import { startTestServer } from '../support/server.ts';
import { alertmanagerPayload } from './payloads.ts';

const clock = testClock('2026-11-26T18:00:00Z');
const dir = join(mkdtempSync(join(tmpdir(), 'somnet-publish-alerts-')), 'public');
let s: Awaited<ReturnType<typeof startTestServer>>;
const published = (path: string) => readFileSync(join(dir, fileFor(path)), 'utf8');

beforeAll(async () => {
  s = await startTestServer({ db: freshDb(), now: clock.now, publishDir: dir });
  await s.publisher!.settled();
});
afterAll(async () => {
  await s?.close();
});

describe('alerts and the published snapshot (PUBLISH_DIR)', () => {
  it('publishes the component an alert turned red, never the draft, and nothing for an unchanged resend', async () => {
    const payload = alertmanagerPayload([
      {
        labels: { alertname: 'OltPonSinLuz', component: 'lerma-fibra', severity: 'critical' },
        annotations: { summary: 'Sin luz en la OLT de Lerma' },
      },
    ]);
    const before = s.publisher!.publishes;
    expect((await s.api('POST', '/api/v1/alerts/alertmanager', payload)).status).toBe(200);
    await s.publisher!.settled();
    expect(s.publisher!.publishes).toBeGreaterThan(before);
    expect(statusOnPage(published('/'), 'lerma', 'Fibra óptica')).toBe('major_outage');
    const v2 = JSON.parse(published('/api/v2/components.json'));
    expect(v2.components.find((c: { somnet?: { slug: string } }) => c.somnet?.slug === 'lerma-fibra').status).toBe(
      'major_outage',
    );
    expect(JSON.parse(published('/api/v2/incidents/unresolved.json')).incidents).toEqual([]);
    expect(published('/')).not.toContain('Sin luz en la OLT de Lerma');

    const after = s.publisher!.publishes;
    expect((await s.api('POST', '/api/v1/alerts/alertmanager', payload)).status).toBe(200);
    await s.publisher!.settled();
    expect(s.publisher!.publishes).toBe(after);
  });
});
