// A large alert group's body handed to the intake worker chunk by chunk as it arrives, through the
// real server: the server's thread never gathers the 2 MB of a storm. The size limit and its
// refusals stay as they were — a chunked body past 4 MB is a 413 as soon as it passes, with
// nothing written and nothing left in the worker — and the body is stored byte for byte.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OFFLOAD_MIN_BYTES, streamedToWorker } from '#db/commands/alerts/offload.ts';
import { deliveryBodyText } from '#db/queries/alerts.ts';
import { MAX_ALERT_BODY_BYTES } from '../../api/routes/alerts.ts';
import { startTestServer } from '../support/server.ts';
import { stormPayload } from './payloads.ts';

let server: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const rows = () =>
  server.db.$client
    .prepare(
      `SELECT (SELECT count(*) FROM alerts) AS alerts, (SELECT count(*) FROM alert_deliveries) AS deliveries,
              (SELECT count(*) FROM alert_delivery_bodies) AS bodies`,
    )
    .get();

/**
 * POSTs `pieces` to the intake one write at a time, chunked (no Content-Length), stopping as soon
 * as the server answers; what it answered and how many bytes were sent by then.
 */
function chunkedIntake(pieces: Iterable<Buffer>): Promise<{ status: number; body: string; sent: number }> {
  const url = new URL('/api/v1/alerts/alertmanager', server.url);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = http.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
    });
    req.on('response', (res) => {
      answered = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body, sent });
        req.destroy();
      });
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    void (async () => {
      for (const piece of pieces) {
        if (answered) return;
        sent += piece.length;
        if (!req.write(piece)) await new Promise((r) => req.once('drain', r));
        await new Promise((r) => setImmediate(r));
      }
      if (!answered) req.end();
    })();
  });
}

function* piecesOf(text: string, size = 64 * 1024): Generator<Buffer> {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('a large alert group streamed to the intake worker', () => {
  it('past the 4 MB limit without a Content-Length: the 413 as soon as it passes, nothing written', async () => {
    const before = rows();
    function* endless() {
      yield Buffer.from('{"receiver":"noc","status":"firing","alerts":[],"x":"');
      for (;;) yield Buffer.alloc(64 * 1024, 'a');
    }
    const refused = await chunkedIntake(endless());
    expect(refused.status).toBe(413);
    expect(JSON.parse(refused.body)).toEqual({
      error: { code: 'payload_too_large', message: 'El envío de alertas supera el máximo de 4 MB.' },
    });
    // Answered once the limit passed, long before the client would have stopped.
    expect(refused.sent).toBeGreaterThan(MAX_ALERT_BODY_BYTES);
    expect(refused.sent).toBeLessThan(4 * MAX_ALERT_BODY_BYTES);
    expect(rows()).toEqual(before);
  });

  it('is applied whole and stored byte for byte, chunked or with its length; a small chunked body too', async () => {
    const group = JSON.stringify(stormPayload(1_500, { name: 'OnuEnTrozos', startsAt: '2026-11-26T17:40:00Z' }));
    expect(Buffer.byteLength(group)).toBeGreaterThan(4 * OFFLOAD_MIN_BYTES);
    const { bodies, chunks } = streamedToWorker;
    const chunked = await chunkedIntake(piecesOf(group, 10_000));
    expect(chunked.status).toBe(200);
    // Handed over as it came, a piece at a time (the socket's reads, at most as many as were written).
    expect(streamedToWorker.bodies).toBe(bodies + 1);
    expect(streamedToWorker.chunks - chunks).toBeGreaterThan(3);
    expect((JSON.parse(chunked.body) as { alerts: unknown[] }).alerts).toHaveLength(1_500);
    const stored = server.db.$client
      .prepare(
        `SELECT b.body, b.gzip FROM alert_delivery_bodies b JOIN alert_deliveries d ON d.id = b.delivery_id
          WHERE d.alert_count = 1500`,
      )
      .get() as { body: string; gzip: Buffer | null };
    expect(stored.gzip).not.toBeNull();
    expect(deliveryBodyText(stored)).toBe(group);
    // The same bytes again, now with a Content-Length: an unchanged resend, answered from the digest.
    const resent = await server.api('POST', '/api/v1/alerts/alertmanager', JSON.parse(group));
    expect(resent.status).toBe(200);
    expect(((await resent.json()) as { duplicate: boolean }).duplicate).toBe(true);
    expect(streamedToWorker.bodies).toBe(bodies + 2);
    // A small group sent chunked is read in process, as before.
    const small = JSON.stringify(stormPayload(3, { name: 'OnuPequena', startsAt: '2026-11-26T17:41:00Z' }));
    const answer = await chunkedIntake(piecesOf(small, 100));
    expect(answer.status).toBe(200);
    expect(streamedToWorker.bodies).toBe(bodies + 2);
    expect((JSON.parse(answer.body) as { alerts: unknown[] }).alerts).toHaveLength(3);
  });

  it('a body that is not JSON, streamed: the same 400 as in one piece, nothing written', async () => {
    const before = rows();
    const broken = `{"receiver":"noc","x":"${'x'.repeat(2 * OFFLOAD_MIN_BYTES)}"`;
    const answer = await chunkedIntake(piecesOf(broken));
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).error).toEqual({ code: 'invalid_json', message: 'El cuerpo no es JSON válido.' });
    expect(rows()).toEqual(before);
  });
});
