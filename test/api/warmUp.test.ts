// The server runs the read side of a notifying write once after it starts (api/warmUp.ts): it
// must write nothing, and a connection it cannot use must not stop the server.
import { describe, expect, it } from 'vitest';
import { freshDb } from '../support/db.ts';
import { warmWritePath } from '../../api/warmUp.ts';
import '#db/notifications/channels.ts';

describe('warming the notifying write', () => {
  it('reads the audience and writes nothing', () => {
    const db = freshDb();
    db.$client
      .prepare(
        "INSERT INTO subscribers (id, channel, address, kind, all_components, confirmed_at, created_at, updated_at) VALUES ('s1', 'email', 'a@b.mx', 'public', 1, 1, 1, 1)",
      )
      .run();
    const changes = db.$client.prepare('SELECT total_changes()').pluck();
    const before = changes.get();
    warmWritePath(db);
    expect(changes.get()).toBe(before);
    db.$client.close();
  });

  it('never throws, even on a closed connection', () => {
    const db = freshDb();
    db.$client.close();
    expect(() => warmWritePath(db)).not.toThrow();
  });
});
