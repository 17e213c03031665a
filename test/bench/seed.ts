// The database every benchmark measures against: the demo catalogue grown to 50 components, with
// 1,000 past incidents (3 updates each) over the last 120 days, so pages render their real
// weight, and one open incident the NOC keeps updating.
import { openDatabase, type Db } from '#db/client.ts';
import { seedDemoCatalogue } from '#db/seed.ts';
import { createComponent, createGroup } from '#db/commands/catalog.ts';
import { createIncident, publishIncidentUpdate } from '#db/commands/incidents.ts';
import { systemActor } from '#db/commands/audit.ts';
import { componentStatuses, incidentImpacts } from '#db/enums.ts';

/** The demo catalogue grown to 50 components (14 seeded + 12 areas of 3; `areas` more make more), created at `start`. */
export function seedBenchCatalogue(db: Db, start: Date, areas = 12): void {
  seedDemoCatalogue(db, start);
  const ctx = { now: start, actor: systemActor };
  for (let g = 0; g < areas; g++) {
    const group = createGroup(db, { name: `Zona de prueba ${g + 1}`, slug: `zona-${g + 1}` }, ctx);
    for (const tech of ['fibra', 'inalambrico', 'dedicado'])
      createComponent(db, { name: `Enlace ${tech}`, slug: `zona-${g + 1}-${tech}`, group: group.id }, ctx);
  }
}

export function seedBenchDatabase(path: string): { openIncident: string } {
  const db = openDatabase(path);
  const now = Date.now();
  const start = new Date(now - 120 * 86_400_000);
  seedBenchCatalogue(db, start);
  const slugs = db.$client.prepare('SELECT slug FROM components').pluck().all() as string[];
  let rng = 42;
  const rand = () => (rng = (rng * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 1000; i++) {
    const at = new Date(start.getTime() + (i / 1000) * (now - start.getTime() - 86_400_000));
    const slug = slugs[Math.floor(rand() * slugs.length)];
    const status = componentStatuses[1 + Math.floor(rand() * 3)];
    const incident = createIncident(
      db,
      {
        name: `Incidente de prueba ${i + 1}`,
        status: 'investigating',
        impact: incidentImpacts[1 + Math.floor(rand() * 3)],
        body: 'Estamos investigando una falla reportada por clientes de la zona.',
        cause: 'Corte de fibra por obra civil',
        components: { [slug]: status },
      },
      { now: at, actor: systemActor },
    );
    publishIncidentUpdate(
      db,
      incident.id,
      { status: 'identified', body: 'Se identificó la causa; cuadrilla en camino.' },
      { now: new Date(at.getTime() + 20 * 60_000), actor: systemActor },
    );
    publishIncidentUpdate(
      db,
      incident.id,
      { status: 'resolved', body: 'Servicio restablecido.' },
      { now: new Date(at.getTime() + (30 + rand() * 180) * 60_000), actor: systemActor },
    );
  }
  // The incident the NOC keeps updating during the measurements.
  const open = createIncident(
    db,
    {
      name: 'Corte de fibra en Metepec',
      status: 'identified',
      impact: 'critical',
      body: 'Cuadrilla en camino.',
      cause: 'Corte de fibra por obra civil',
      components: { 'metepec-fibra': 'major_outage' },
    },
    { now: new Date(now - 3_600_000), actor: systemActor },
  );
  db.$client.close();
  return { openIncident: open.id };
}
