// The intake worker: a worker thread that reads a large Alertmanager or Grafana body (JSON.parse),
// names its group, digests its bytes, and, when the server asks, validates and normalises it whole
// and packs it (./envelopes.ts `packEnvelope`). The server's event loop never parses the 2 MB body
// nor holds its 5,000 objects: that parse and the garbage collections after it were what held
// every request longest during a storm. Started by ./offload.ts. Its one use of the database: the
// WAL checkpoints of a large delivery (./offload.ts `WorkerCheckpoints`), through its own connection.
import { parentPort } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { CommandError } from '../errors.ts';
import { parseJsonObject } from '../input.ts';
import { bodyDigest, envelopeGroup, packEnvelope, type EnvelopeFormat } from './envelopes.ts';
import type { WorkerReply, WorkerRequest } from './offload.ts';

const port = parentPort!;
/** Bodies read and waiting for the server's decision (validate, or drop: an unchanged resend). */
const read = new Map<number, { format: EnvelopeFormat; raw: unknown; text: string }>();
/** Bodies arriving a chunk at a time (./offload.ts `readStreamInWorker`), until their `read` or `drop`. */
const streaming = new Map<number, Uint8Array[]>();

/** A streamed body's chunks as one buffer (here, off the server's thread). */
function received(id: number): Uint8Array {
  const chunks = streaming.get(id) ?? [];
  streaming.delete(id);
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

const reply = (message: WorkerReply) => port.postMessage(message);

function refusal(id: number, err: unknown): WorkerReply {
  if (err instanceof CommandError)
    return { id, kind: 'refused', status: err.status, code: err.code, message: err.message, fields: err.fields };
  return { id, kind: 'failed', message: err instanceof Error ? err.message : String(err) };
}

/**
 * The worker's own connection to each database it checkpoints (one, in a server), closed once it
 * has not been used for CONNECTION_IDLE_MS: it is the server's only while a large group is applied.
 */
const connections = new Map<string, { sqlite: Database.Database; idle: NodeJS.Timeout }>();
const CONNECTION_IDLE_MS = 2_000;

function checkpoint(path: string): { busy: boolean; log: number; checkpointed: number } {
  const open = connections.get(path);
  clearTimeout(open?.idle);
  let sqlite = open?.sqlite;
  if (!sqlite) {
    sqlite = new Database(path, { fileMustExist: true });
    // It never waits for a lock: a checkpoint that finds one busy is tried again at the next slice.
    sqlite.pragma('busy_timeout = 0');
  }
  const connection = sqlite;
  const idle = setTimeout(() => {
    connections.delete(path);
    connection.close();
  }, CONNECTION_IDLE_MS);
  // The thread stays unreferenced while idle (./offload.ts): this timer must not keep a process alive either.
  idle.unref();
  connections.set(path, { sqlite, idle });
  const [row] = sqlite.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
  return { busy: row.busy !== 0, log: row.log, checkpointed: row.checkpointed };
}

port.on('message', (message: WorkerRequest) => {
  const { id } = message;
  try {
    if (message.kind === 'checkpoint') reply({ id, kind: 'checkpointed', ...checkpoint(message.path) });
    else if (message.kind === 'chunk') {
      const chunks = streaming.get(id);
      if (chunks) chunks.push(new Uint8Array(message.bytes));
      else streaming.set(id, [new Uint8Array(message.bytes)]);
    } else if (message.kind === 'read') {
      const bytes = typeof message.body !== 'string';
      // As the server's own c.req.text() decodes (a byte order mark dropped, bad bytes as U+FFFD).
      const text = !bytes
        ? (message.body as string)
        : new TextDecoder().decode(message.body === null ? received(id) : (message.body as ArrayBuffer));
      const raw = parseJsonObject(text);
      read.set(id, { format: message.format, raw, text });
      const named = envelopeGroup(raw);
      reply({ id, kind: 'read', named, rawDigest: bodyDigest(message.format, text), ...(bytes ? { text } : {}) });
    } else {
      const body = read.get(id);
      read.delete(id);
      streaming.delete(id);
      if (message.kind === 'validate') {
        if (!body) reply(refusal(id, new Error('cuerpo desconocido')));
        else {
          const group = packEnvelope(body.format, body.raw);
          // The body as the server stores it (alert_delivery_bodies.gzip): the text's UTF-8, gzipped
          // here at zlib's fastest level (a 2 MB group in some 10 ms of this thread, about 20 times smaller).
          const gzip = gzipSync(Buffer.from(body.text), { level: 1 });
          const bytes = gzip.buffer.slice(gzip.byteOffset, gzip.byteOffset + gzip.byteLength);
          port.postMessage({ id, kind: 'packed', group, gzip: bytes } satisfies WorkerReply, [bytes]);
        }
      }
    }
  } catch (err) {
    read.delete(id);
    streaming.delete(id);
    reply(refusal(id, err));
  }
});
