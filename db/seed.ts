import { eq } from 'drizzle-orm';
import type { Db } from './client.ts';
import { createComponent, createGroup } from './commands/catalog.ts';
import { runCommand } from './commands/transaction.ts';
import { appMeta } from './schema/index.ts';
import { systemActor } from './commands/audit.ts';

const areas = [
  { slug: 'toluca', name: 'Toluca', description: 'Toluca de Lerdo y zona industrial' },
  { slug: 'metepec', name: 'Metepec', description: null },
  { slug: 'zinacantepec', name: 'Zinacantepec', description: null },
  { slug: 'lerma', name: 'Lerma', description: 'Lerma y corredor industrial Toluca–Lerma' },
  { slug: 'san-mateo-atenco', name: 'San Mateo Atenco', description: null },
];

const centralServices = [
  {
    slug: 'red-troncal',
    name: 'Internet / red troncal',
    description: 'Salida a internet y enlaces troncales entre nodos',
  },
  {
    slug: 'portal-clientes',
    name: 'Portal de clientes',
    description: 'cliente.somnet.com.mx: tickets, facturación y monitoreo',
  },
  { slug: 'correo-soporte', name: 'Correo de soporte', description: 'soporte@somnet.com.mx' },
  {
    slug: 'linea-emergencia',
    name: 'Línea de emergencia 722 167 5865',
    description: 'Solo para caída total del servicio',
  },
];

/**
 * Seeds the demo catalogue on a database's first start only. The marker in app_meta makes a
 * second start (or a catalogue the NOC emptied on purpose) never seed again.
 */
export function seedDemoCatalogue(db: Db, now: Date): boolean {
  const ctx = { now, actor: systemActor };
  return runCommand(db, () => {
    if (db.select().from(appMeta).where(eq(appMeta.key, 'seeded_at')).get()) return false;
    areas.forEach((area, i) => {
      const group = createGroup(db, { ...area, position: i + 1 }, ctx);
      createComponent(
        db,
        {
          slug: `${area.slug}-fibra`,
          name: 'Fibra óptica',
          group: group.id,
          position: 1,
          description: `Enlaces de fibra óptica en ${area.name}`,
        },
        ctx,
        'seed',
      );
      createComponent(
        db,
        {
          slug: `${area.slug}-inalambrico`,
          name: 'Inalámbrico (microondas)',
          group: group.id,
          position: 2,
          description: `Enlaces de microondas en ${area.name}`,
        },
        ctx,
        'seed',
      );
    });
    const central = createGroup(
      db,
      {
        slug: 'servicios-centrales',
        name: 'Servicios centrales',
        description: 'Servicios comunes a todas las zonas',
        position: areas.length + 1,
      },
      ctx,
    );
    centralServices.forEach((service, i) =>
      createComponent(db, { ...service, group: central.id, position: i + 1 }, ctx, 'seed'),
    );
    db.insert(appMeta).values({ key: 'seeded_at', value: now.toISOString() }).run();
    return true;
  });
}
