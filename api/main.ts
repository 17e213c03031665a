// The server process, loaded by api/start.ts once the build is current: open and migrate the
// database, seed the demo catalogue on the first start only, serve.
import { loadConfigOrExit } from './config.ts';
import { openDatabase } from '#db/client.ts';
import { seedDemoCatalogue } from '#db/seed.ts';
import { startServer } from './server.ts';
import { SnapshotDirError } from './publish/files.ts';
import { describeHolder } from './background.ts';
import { startIntakeWorker } from '#db/commands/alerts/index.ts';
import { MemoryWatch, releaseMemory } from './memory.ts';

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

const config = loadConfigOrExit();

let db;
try {
  db = openDatabase(config.databasePath, { verify: true });
} catch (err) {
  fail(`No se pudo abrir la base de datos en ${config.databasePath}: ${(err as Error).message}`);
}
if (seedDemoCatalogue(db, new Date()))
  console.log('Primer arranque: se creó el catálogo de demostración (zonas y servicios centrales).');

let running;
try {
  running = await startServer({ db, config });
} catch (err) {
  const code = (err as NodeJS.ErrnoException).code;
  if (err instanceof SnapshotDirError) fail(`PUBLISH_DIR: ${err.message}`);
  if (config.publishDir && (err as NodeJS.ErrnoException).path?.startsWith(config.publishDir))
    fail(`No se puede escribir en PUBLISH_DIR=${config.publishDir}: ${(err as Error).message}`);
  if (code === 'EADDRINUSE') fail(`El puerto ${config.port} ya está en uso; elija otro con PORT=…`);
  if (code === 'EACCES') fail(`Sin permiso para escuchar en ${config.host}:${config.port}.`);
  if (code === 'ENOTFOUND' || code === 'EADDRNOTAVAIL')
    fail(`HOST=${config.host} no es una dirección de esta máquina.`);
  throw err;
}
// Large alert groups are read by a worker thread: loaded now, not when the first storm arrives.
startIntakeWorker();
// What loading the site and checking the database (quick_check reads every page) left behind
// goes back before the server settles down.
releaseMemory(db);
// Every 5 s: once RSS has grown 16 MB, the memory a burst of writes left goes back (when it is over).
const memory = new MemoryWatch(undefined, db);
memory.start();
const active = running.background.role === 'active';
console.log(
  `SOMNET Estado escuchando en ${running.url} (base de datos: ${config.databasePath}${config.publishDir && active ? `; publicando en ${config.publishDir}` : ''})`,
);
if (!active)
  console.log(
    `En espera: otro servidor (${describeHolder(running.background.holder())}) hace el trabajo de fondo de esta base de datos (correo, webhooks, mantenimientos, alertas, publicación); este atiende HTTP y lo toma en menos de 15 s si aquel se detiene.`,
  );

const shutdown = async () => {
  memory.stop();
  await running.close();
  db.$client.close();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
