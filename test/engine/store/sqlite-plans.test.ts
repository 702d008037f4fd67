import { expect } from 'chai';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUSINESS_ORIGINAL, messageListSql, SqliteStore } from '../../../engine/store/sqlite/store.js';

/**
 * Query plans of statements run for every message, on a store as the engine creates it (no
 * statistics: SQLite plans from its defaults). A plan that walks a table grows with the store.
 */
describe('message store (sqlite): query plans of the per-message statements', () => {
  let dir: string;
  let db: Database.Database;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'interlace-plans-'));
    await new SqliteStore({ path: join(dir, 'messages.db') }).close();
    db = new Database(join(dir, 'messages.db'), { readonly: true });
  });
  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds a business case original through its key (message_keys_value), not by walking messages by status', () => {
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${BUSINESS_ORIGINAL}`).all('or', 'case', 'A 1', 'x') as Array<{ detail: string }>).map(
      (r) => r.detail,
    );
    expect(plan[0], plan.join('; ')).to.match(/^SEARCH k USING INDEX message_keys_value \(name=\? AND value=\?\)/);
    expect(plan.join('; ')).to.match(/SEARCH m USING (INDEX \w+|INTEGER PRIMARY KEY|PRIMARY KEY) \(.*id=\?\)/);
  });

  for (const q of [
    { controlId: 'MSG1' },
    { channel: 'or', controlId: 'MSG1' },
    { channel: 'or', status: 'delivered' as const, controlId: 'MSG1' },
    { channel: 'or', status: 'delivered' as const, controlId: 'MSG1', from: '2026-01-01T00:00:00Z', to: '2026-12-01T00:00:00Z' },
  ])
    it(`lists by control id through its index (${Object.keys(q).join(', ')}), not by walking the channel's or the status's messages`, () => {
      const { sql, args } = messageListSql(q);
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as Array<{ detail: string }>).map((r) => r.detail);
      expect(plan[0], plan.join('; ')).to.match(/^SEARCH messages USING INDEX \w+ \(control_id=\?/);
    });
});
