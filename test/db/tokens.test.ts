import { describe, expect, it } from 'vitest';
import { createApiToken, listApiTokens, verifyApiToken } from '#db/commands/tokens.ts';
import { freshDb, testApp } from '../support/db.ts';

describe('verifyApiToken', () => {
  it('records last use on the clock it is given, at most once a minute', () => {
    const db = freshDb({ seed: false });
    const { token } = createApiToken(db, 'reloj', new Date('2026-11-26T18:00:00Z'));
    const lastUsed = () => listApiTokens(db)[0].lastUsedAt?.toISOString();

    expect(verifyApiToken(db, token, new Date('2030-01-01T00:00:00Z'))).toEqual({
      ok: true,
      name: 'reloj',
      scopes: ['all'],
    });
    expect(lastUsed()).toBe('2030-01-01T00:00:00.000Z');
    verifyApiToken(db, token, new Date('2030-01-01T00:00:59Z'));
    expect(lastUsed()).toBe('2030-01-01T00:00:00.000Z');
    verifyApiToken(db, token, new Date('2030-01-01T00:01:01Z'));
    expect(lastUsed()).toBe('2030-01-01T00:01:01.000Z');

    expect(verifyApiToken(db, `${token}x`, new Date('2030-01-02T00:00:00Z'))).toEqual({ ok: false, expired: false });
    expect(verifyApiToken(db, 'otra-cosa', new Date('2030-01-02T00:00:00Z'))).toEqual({ ok: false, expired: false });
    expect(lastUsed()).toBe('2030-01-01T00:01:01.000Z');
  });

  it('through the API, writes the last use after the answer, not in the request', async () => {
    const t = testApp();
    const lastUsed = () => listApiTokens(t.db).find((k) => k.name === 'tests')!.lastUsedAt;
    expect(lastUsed()).toBeNull();
    // Answered before its bookkeeping: nothing in the request waited for that write.
    expect((await t.app.request('/api/v1/components', { headers: t.auth })).status).toBe(200);
    expect(lastUsed()).toBeNull();
    await new Promise((resolve) => setImmediate(resolve));
    expect(lastUsed()?.toISOString()).toBe(t.clock.now().toISOString());
    t.db.$client.close();
  });
});
