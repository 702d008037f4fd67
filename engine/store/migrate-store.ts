import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { PoolClient } from 'pg';
import { StoreError } from '../../lib/errors.js';
import { describeLocation, parseStoreLocation, type StoreLocation } from './location.js';
import { createPool, transaction } from './postgres/pool.js';
import { migrate as migratePostgres } from './postgres/schema.js';
import { SqliteStore } from './sqlite/store.js';

/** Per table: rows in the source, rows in the destination, and whether their contents are the same. */
export type TableReport = { table: string; source: number; copied: number; same: boolean };

const PAGE = 500;
type Row = Record<string, unknown>;

/** Tables the SQLite store derives from others (message counts kept by triggers, ddl.ts migration 12): PostgreSQL counts instead. */
const SQLITE_ONLY = new Set(['message_counts']);

/**
 * Moves an installation from its SQLite file to PostgreSQL: every table (messages with their raw
 * bytes and history, deliveries, the acknowledgment ledger, the X12 registry, control numbers…) is
 * copied row for row, ids and times unchanged, in ONE PostgreSQL transaction, then read back and
 * compared (row counts and a digest of every row's content) before the transaction commits. Either
 * everything arrives identical or nothing is written. The destination must be empty; the engine
 * (every process) must be stopped while it runs.
 */
export async function migrateStore(from: string, to: string, progress: (line: string) => void = () => {}): Promise<TableReport[]> {
  const source = location(from, '--from');
  const dest = location(to, '--to');
  if (source.kind !== 'sqlite' || dest.kind !== 'postgres') {
    throw new StoreError(
      'store-migrate-unsupported',
      `migrate-store copies sqlite:PATH to postgres://…; got ${describeLocation(source)} to ${describeLocation(dest)}`,
    );
  }
  if (!existsSync(source.path)) throw new StoreError('store-open-failed', `cannot open the message store at ${source.path}: no such file`);
  await new SqliteStore({ path: source.path }).close(); // brings the file to this version's schema
  const db = new Database(source.path, { readonly: true, fileMustExist: true });
  const pool = createPool(dest.url, 2);
  try {
    await migratePostgres(pool).catch((cause: Error) => {
      throw new StoreError('store-open-failed', `cannot open the message store at ${describeLocation(dest)}: ${cause.message}`, { cause });
    });
    const tables = (
      db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as Array<{
        name: string;
      }>
    )
      .map((t) => t.name)
      .filter((t) => !SQLITE_ONLY.has(t));
    db.prepare('BEGIN').run(); // one snapshot of the file for the whole copy
    return await transaction(pool, async (c) => {
      const reports: TableReport[] = [];
      for (const table of tables) {
        const { rows } = await c.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).catch((cause: Error) => {
          throw new StoreError(
            'store-migrate-failed',
            `table ${table} of the SQLite file has no counterpart in PostgreSQL: ${cause.message}`,
            { cause },
          );
        });
        if (rows[0]!.n > 0)
          throw new StoreError(
            'store-migrate-not-empty',
            `${describeLocation(dest)} already holds ${rows[0]!.n} rows in ${table}; migrate-store only fills an empty store`,
          );
        const copied = await copyTable(db, c, table);
        const [a, b] = [sqliteDigest(db, table), await postgresDigest(c, table)];
        reports.push({ table, source: a.count, copied: b.count, same: a.count === b.count && a.digest === b.digest });
        progress(`${table}: ${copied} rows copied, ${b.count} read back, ${a.digest === b.digest ? 'identical' : 'DIFFERENT'}`);
      }
      const bad = reports.filter((r) => !r.same);
      if (bad.length)
        throw new StoreError(
          'store-migrate-failed',
          `the copy differs from the source in ${bad.map((r) => r.table).join(', ')}; nothing was written`,
        );
      await resetSequences(c, tables);
      return reports;
    });
  } finally {
    if (db.inTransaction) db.prepare('COMMIT').run();
    db.close();
    await pool.end();
  }
}

function location(spec: string, option: string): StoreLocation {
  const loc = parseStoreLocation(spec, '.');
  if ('error' in loc) throw new StoreError('store-location-invalid', `${option}: ${loc.error}`);
  return loc;
}

async function copyTable(db: Database.Database, c: PoolClient, table: string): Promise<number> {
  const read = db.prepare(`SELECT rowid AS rowid__, * FROM ${table} WHERE rowid > ? ORDER BY rowid LIMIT ${PAGE}`);
  let after = -Infinity;
  let copied = 0;
  for (;;) {
    const page = read.all(after) as Row[];
    if (page.length === 0) return copied;
    after = page[page.length - 1]!.rowid__ as number;
    const columns = Object.keys(page[0]!).filter((k) => k !== 'rowid__');
    const values: unknown[] = [];
    const tuples = page.map((row) => `(${columns.map((col) => (values.push(row[col]), `$${values.length}`)).join(', ')})`);
    await c.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, values);
    copied += page.length;
  }
}

/** A digest of a table's rows that does not depend on their order: hash of the sorted row hashes. */
function digestOf(hashes: string[]): string {
  return createHash('sha256').update(hashes.sort().join('\n')).digest('hex');
}

function rowHash(row: Row): string {
  const h = createHash('sha256');
  for (const key of Object.keys(row).sort()) {
    const v = row[key];
    h.update(
      `${key}=${Buffer.isBuffer(v) ? `bytes:${v.toString('hex')}` : v === null || v === undefined ? 'null' : `${typeof v === 'bigint' ? 'number' : typeof v}:${String(v as string | number | bigint | boolean)}`}\u0000`,
    );
  }
  return h.digest('hex');
}

function sqliteDigest(db: Database.Database, table: string): { count: number; digest: string } {
  const hashes: string[] = [];
  for (const row of db.prepare(`SELECT * FROM ${table}`).iterate() as Iterable<Row>) hashes.push(rowHash(row));
  return { count: hashes.length, digest: digestOf(hashes) };
}

async function postgresDigest(c: PoolClient, table: string): Promise<{ count: number; digest: string }> {
  const hashes: string[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const { rows } = await c.query<Row>(`SELECT * FROM ${table} ORDER BY ctid LIMIT ${PAGE} OFFSET ${offset}`);
    for (const row of rows) hashes.push(rowHash(row));
    if (rows.length < PAGE) return { count: hashes.length, digest: digestOf(hashes) };
  }
}

/** Auto-numbered ids continue after the copied ones. */
async function resetSequences(c: PoolClient, tables: string[]): Promise<void> {
  const { rows } = await c.query<{ table: string; seq: string }>(
    `SELECT table_name AS table, pg_get_serial_sequence(table_name, 'id') AS seq FROM information_schema.columns
     WHERE table_schema = current_schema() AND column_name = 'id' AND column_default LIKE 'nextval%'`,
  );
  for (const { table, seq } of rows) {
    if (tables.includes(table)) await c.query(`SELECT setval($1, GREATEST((SELECT COALESCE(MAX(id), 0) FROM ${table}), 1))`, [seq]);
  }
}
