// The integrations docs/integrations.md documents, run as written: its alertmanager.yml checked by
// Debian's amtool, its Zabbix media-type script executed with a stand-in for Zabbix's
// HttpRequest (synchronous, as in Zabbix) against the real server, and its LibreNMS template
// filled in for one alert and its recovery.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findComponent } from '#db/commands/catalog.ts';
import { ALERTMANAGER_PATH } from '../support/alertmanager.ts';
import { startTestServer } from '../support/server.ts';

const section = readFileSync(new URL('../../docs/integrations.md', import.meta.url), 'utf8');
function block(lang: string, after: string): string {
  const from = section.indexOf(after);
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(section.slice(from));
  if (from < 0 || !m) throw new Error(`docs/integrations.md: no hay bloque ${lang} después de «${after}»`);
  return m[1];
}

let server: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

describe('docs/integrations.md', () => {
  it('the alertmanager.yml passes amtool check-config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'somnet-amtool-'));
    writeFileSync(join(dir, 'alertmanager.yml'), block('yaml', '## Prometheus Alertmanager'));
    const amtool = join(dirname(ALERTMANAGER_PATH), 'amtool');
    const { stdout } = await promisify(execFile)(amtool, ['check-config', join(dir, 'alertmanager.yml')]);
    expect(stdout).toContain('SUCCESS');
  });

  it('the Zabbix media-type script reports a problem and its recovery', async () => {
    const script = block('js', '### Zabbix');
    // Zabbix runs the script as a function body with `value` (the parameters as JSON) and a
    // synchronous HttpRequest; here each request is made by a child process the runner waits for.
    const runner = `
      const { execFileSync } = require('node:child_process');
      function HttpRequest() { this.headers = []; this.status = 0; }
      HttpRequest.prototype.addHeader = function (h) { this.headers.push(h); };
      HttpRequest.prototype.getStatus = function () { return this.status; };
      HttpRequest.prototype.post = function (url, body) {
        const headers = Object.fromEntries(this.headers.map((h) => [h.slice(0, h.indexOf(':')), h.slice(h.indexOf(':') + 1).trim()]));
        const out = JSON.parse(execFileSync(process.execPath, ['-e', 'fetch(process.argv[1], { method: "POST", headers: JSON.parse(process.argv[2]), body: process.argv[3] }).then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.text() })))', url, JSON.stringify(headers), body], { encoding: 'utf8' }));
        this.status = out.status;
        return out.body;
      };
      try { console.log('RESULT ' + new Function('value', 'HttpRequest', process.env.SCRIPT)(process.env.VALUE, HttpRequest)); }
      catch (e) { console.log('THROWN ' + e); }
    `;
    const run = (params: Record<string, string>) =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['-e', runner], {
          env: { ...process.env, SCRIPT: script, VALUE: JSON.stringify(params) },
        });
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
        });
        child.stderr.on('data', (d) => {
          out += d;
        });
        child.on('exit', () => resolve(out.trim()));
        child.on('error', reject);
      });
    const params = {
      endpoint: `${server.url}/api/v1/alerts`,
      token: server.token,
      event_id: '90210',
      event_value: '1',
      severity: 'Disaster',
      summary: 'Nodo Toluca Centro sin energía',
      host: 'nodo-toluca-centro',
      tags: JSON.stringify([
        { tag: 'component', value: 'toluca' },
        { tag: 'scope', value: 'availability' },
      ]),
      event_url: 'https://zabbix.somnet.local/tr_events.php?triggerid=1&eventid=90210',
    };
    expect(await run(params)).toBe('RESULT OK');
    expect([
      findComponent(server.db, 'toluca-fibra')!.status,
      findComponent(server.db, 'toluca-inalambrico')!.status,
    ]).toEqual(['major_outage', 'major_outage']);
    expect(await run({ ...params, event_value: '0' })).toBe('RESULT OK');
    expect(findComponent(server.db, 'toluca-fibra')!.status).toBe('operational');
    // A refusal reaches Zabbix as a failed alert with the reason (Zabbix retries and shows it).
    expect(await run({ ...params, token: 'snt_revocado' })).toMatch(
      /^THROWN SOMNET Estado respondió 401: .*unauthorized/,
    );
  });

  it('the LibreNMS alert template writes the generic shape', async () => {
    const template = block('blade', '### LibreNMS');
    const fill = (alert: Record<string, string | number>) =>
      template.replace(/@json\(((?:[^()]|\([^()]*\))*)\)/g, (_, expr: string) => {
        const values: Record<string, unknown> = {
          '(string) $alert->id': String(alert.id),
          "$alert->state == 0 ? 'resolved' : 'firing'": alert.state === 0 ? 'resolved' : 'firing',
          '$alert->location ?: $alert->hostname': alert.location || alert.hostname,
          '$alert->severity': alert.severity,
          '$alert->title': alert.title,
          '$alert->hostname': alert.hostname,
          '$alert->name': alert.name,
        };
        if (!(expr in values)) throw new Error(`Expresión de docs/integrations.md sin valor de prueba: ${expr}`);
        return JSON.stringify(values[expr]);
      });
    const device = {
      id: 31,
      hostname: 'radio-metepec-2',
      location: 'metepec-inalambrico',
      severity: 'critical',
      title: 'Radio Metepec 2 sin respuesta',
      name: 'Device Down! Due to no ICMP response.',
    };
    const post = (body: string) =>
      fetch(`${server.url}/api/v1/alerts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
        body,
      });
    const down = await post(fill({ ...device, state: 1 }));
    expect(down.status).toBe(200);
    expect((await down.json()).alerts[0]).toMatchObject({ effect: 'automatic', components: ['metepec-inalambrico'] });
    expect(findComponent(server.db, 'metepec-inalambrico')!.status).toBe('major_outage');
    expect((await post(fill({ ...device, state: 0 }))).status).toBe(200);
    expect(findComponent(server.db, 'metepec-inalambrico')!.status).toBe('operational');
  });
});
