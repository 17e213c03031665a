// The reference of the memory soak (test/bench/soak.ts), forked with --expose-gc: a bare process
// writes as many rows as the soak's API writes with raw better-sqlite3, statements prepared once,
// one transaction per write of three rows (an update, a status event and an audit row, each
// indexed), with the pragmas of db/client.ts. Sends its memory before and after to the parent.
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { measureMemory } from './soak.ts';

const [path, count] = [process.argv[2], Number(process.argv[3])];
const db = new Database(path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec(`
  CREATE TABLE updates (id TEXT PRIMARY KEY, incident TEXT NOT NULL, status TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL);
  CREATE INDEX updates_incident ON updates (incident, created_at);
  CREATE TABLE events (id TEXT PRIMARY KEY, component TEXT NOT NULL, status TEXT NOT NULL, at INTEGER NOT NULL);
  CREATE INDEX events_component ON events (component, at);
  CREATE TABLE audit (id TEXT PRIMARY KEY, action TEXT NOT NULL, subject TEXT NOT NULL, detail TEXT NOT NULL, at INTEGER NOT NULL);
  CREATE INDEX audit_subject ON audit (subject, at);
`);
const insertUpdate = db.prepare('INSERT INTO updates VALUES (?, ?, ?, ?, ?)');
const insertEvent = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?)');
const insertAudit = db.prepare('INSERT INTO audit VALUES (?, ?, ?, ?, ?)');
const write = db.transaction((i: number) => {
  const incident = `inc-${Math.floor(i / 10)}`;
  const at = Date.now();
  insertUpdate.run(randomUUID(), incident, 'identified', `Escritura ${i}`, at);
  insertEvent.run(randomUUID(), 'metepec-fibra', 'degraded_performance', at);
  insertAudit.run(randomUUID(), 'incident.update', incident, JSON.stringify({ i, body: `Escritura ${i}` }), at);
});
// One write first, so the statements and the page cache exist before "before".
write(0);
const before = measureMemory();
for (let i = 1; i <= count; i++) {
  write(i);
  // Yield like a server between requests.
  if (i % 100 === 0) await new Promise((r) => setImmediate(r));
}
await new Promise((r) => setTimeout(r, 200));
const after = measureMemory();
db.close();
process.send!({ before, after });
