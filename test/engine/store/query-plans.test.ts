import { expect } from 'chai';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStore } from '../../../engine/store/index.js';
import * as postgres from '../../../engine/store/postgres/store.js';
import { BUSINESS_ORIGINAL, messageListSql, SqliteStore } from '../../../engine/store/sqlite/store.js';
import { dropSchemas, freshSchema } from '../../support/postgres.js';
import { caseQuery, documentQuery, exceptionsOfScope, refsQuery } from '../../../engine/store/documents.js';

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

  // A continuous reconciliation run by case (ADR 0027) reads cases, their references, the exceptions
  // of its scope and the documents whose deadline passed: each through an index, whatever the size.
  it('reads cases, their references, their exceptions and passed deadlines through indexes (reconciliation by case)', () => {
    const plan = ([sql, args]: [string, unknown[]]) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as Array<{ detail: string }>).map((r) => r.detail).join('; ');
    expect(plan(caseQuery(['charge:TX1', 'implant:X|1']))).to.match(/SEARCH document_refs USING INDEX document_refs_ref \(ref=\?\)/);
    expect(plan(caseQuery(['charge:TX1']))).to.match(/SEARCH b USING INTEGER PRIMARY KEY \(rowid=\?\)/);
    expect(plan(refsQuery([1, 2]))).to.match(/SEARCH document_refs USING COVERING INDEX \w+ \(document_id=\?\)/);
    const [scope] = exceptionsOfScope({ from: '2026-11-01', to: '2026-11-30', scope: ['charge:TX1', 'usage:EV1'] });
    expect(plan(scope!)).to.match(/^SEARCH recon_exceptions USING INDEX recon_exceptions_document \(doc_key=\?\)/);
    const sweep = documentQuery({ kinds: ['purchase-order'], after: '2026-12-01T10:00:00.000Z', through: '2026-12-01T10:01:00.000Z' });
    expect(plan(sweep)).to.match(/^SEARCH b USING INDEX business_documents_date \(kind=\? AND business_date>\? AND business_date<\?\)/);
  });
});

/** The same on PostgreSQL, on a new schema: planned without statistics, as on a new or emptied store. */
describe('message store (postgres): query plans of the per-message statements', () => {
  let client: pg.Client;
  before(async () => {
    const location = await freshSchema();
    await (await openStore(location)).close();
    client = new pg.Client({ connectionString: location });
    await client.connect();
  });
  after(async () => {
    await client.end();
    await dropSchemas();
  });
  const plan = async (sql: string, args: unknown[]) =>
    ((await client.query(`EXPLAIN ${sql}`, args)).rows as Array<Record<string, string>>).map((r) => r['QUERY PLAN']!).join('\n');

  it('finds a business case original through its key, each message by its primary key', async () => {
    const text = await plan(postgres.BUSINESS_ORIGINAL, ['or', 'case', 'A 1', 'x']);
    expect(text).to.match(/Index Scan using message_keys_value on message_keys/);
    expect(text).to.match(/Index Scan using messages_pkey on messages[^\n]*\n\s+Index Cond: \(id = k\.message_id\)/);
    expect(text).not.to.match(/messages_status/);
  });

  for (const q of [
    { channel: 'or', controlId: 'MSG1' },
    { channel: 'or', status: 'delivered' as const, controlId: 'MSG1' },
  ])
    // (with a time range too, PostgreSQL without statistics reads the range's index; a store large
    // enough for that to matter has statistics, which autovacuum keeps, and SQLite has none)
    it(`lists by control id through its index (${Object.keys(q).join(', ')})`, async () => {
      const { sql, args } = postgres.messageListSql(q);
      const text = await plan(sql, args);
      expect(text).to.match(/Index (Only )?Scan using \w+ on messages[^\n]*\n\s+Index Cond: \(\(?control_id = /);
    });
});
