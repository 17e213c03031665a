// The monthly statements with two real servers on one database, started together on a day the
// previous month's statements are due (a blue/green restart on the 1st, or both coming back after
// an outage): the lease holder sends them, each email is written once, and a third server started
// after the first is stopped (a restart) sends nothing again.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openDatabase } from '#db/client.ts';
import { systemActor } from '#db/commands/audit.ts';
import { createIncident, publishIncidentUpdate } from '#db/commands/incidents.ts';
import { replaceServiceInventory } from '#db/commands/services.ts';
import { statementMonthAt } from '#db/commands/statements.ts';
import { zonedMidnight } from '#db/domain/time.ts';
import { seedDemoCatalogue } from '#db/seed.ts';
import { tempDatabasePath } from '../support/db.ts';
import { readQuery, startServerProcess, stopServerProcess, waitFor, type ServerProcess } from '../support/processes.ts';
import { inventory } from '../services/fixtures.ts';

// The servers run on the wall clock: the month before this one is the one due (from the 1st at
// 09:00 to the month's end). Between midnight and 09:00 on the 1st nothing is due: skipped then.
const month = statementMonthAt(new Date());
const children: ServerProcess[] = [];
afterAll(async () => {
  for (const c of children) await stopServerProcess(c);
});

describe('two servers on one database', () => {
  it.skipIf(month === null)('send each statement once, and a restart sends none again', async () => {
    const [y, m] = month!.split('-').map(Number);
    const start = zonedMidnight(y, m, 1).getTime();
    const at = (hours: number) => ({ now: new Date(start + hours * 3_600_000), actor: systemActor });
    const dbPath = tempDatabasePath();
    const db = openDatabase(dbPath);
    seedDemoCatalogue(db, new Date(start - 86_400_000));
    replaceServiceInventory(db, inventory, at(1));
    // Metepec fibre down 60 min on the 10th: SOM-12345 (two contacts) and SOM-12346 (one).
    const id = createIncident(
      db,
      {
        name: 'Corte de fibra en Metepec',
        impact: 'critical',
        status: 'investigating',
        body: 'Revisamos.',
        components: { 'metepec-fibra': 'major_outage' },
      },
      at(9 * 24 + 10),
    ).id;
    publishIncidentUpdate(
      db,
      id,
      { status: 'resolved', body: 'Listo.', components: { 'metepec-fibra': 'operational' } },
      at(9 * 24 + 11),
    );
    // The incident's own notices are delivered too; only the statements are counted here.
    db.$client.close();

    const env = { PUBLIC_URL: 'https://status.example.test' };
    const [a, b] = await Promise.all([startServerProcess(dbPath, env), startServerProcess(dbPath, env)]);
    children.push(a, b);
    const statementRows = () =>
      readQuery<{ status: string; recipient: string }>(
        dbPath,
        "SELECT status, recipient FROM outbox_messages WHERE kind = 'statement.monthly'",
      );
    // Without RESEND_API_KEY each email is an .eml file beside the database.
    const outbox = join(dirname(dbPath), 'outbox');
    const statementFiles = () =>
      existsSync(outbox) ? readdirSync(outbox).filter((f) => f.endsWith('-statement.monthly.eml')) : [];
    await waitFor(
      'los tres estados de disponibilidad enviados',
      () => {
        const rows = statementRows();
        return rows.length === 3 && rows.every((r) => r.status === 'sent');
      },
      60_000,
    );
    // A restart: the holder stops, a new server comes up on the same file.
    await stopServerProcess(a);
    const c = await startServerProcess(dbPath, env);
    children.push(c);
    await new Promise((r) => setTimeout(r, 3_000));
    const rows = statementRows();
    expect(rows.map((r) => r.recipient).sort()).toEqual([
      'laura@esperanza.mx',
      'laura@esperanza.mx',
      'noc@esperanza.mx',
    ]);
    expect(
      readQuery<{ n: number }>(dbPath, 'SELECT count(*) AS n FROM monthly_statements WHERE month = ?', month)[0].n,
    ).toBe(1);
    // One file per email, whichever server wrote it.
    expect(statementFiles()).toHaveLength(3);
  });
});
