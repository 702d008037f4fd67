import type { Pool } from 'pg';
import { MIGRATIONS as ALL, POSTGRES } from '../ddl.js';

/** The PostgreSQL schema (engine/store/ddl.ts), versioned in `interlace_schema`. */
const MIGRATIONS = ALL.map((m) => m(POSTGRES));

/** Advisory lock key of the migration step ("interlace schema"); any constant shared by all versions. */
const MIGRATION_LOCK = '7308237046112690001';

/**
 * Brings the database to the newest schema in one transaction that first takes a transaction-level
 * advisory lock: when several engine processes start at once, one migrates and the others wait, then
 * find nothing left to do. DDL is transactional in PostgreSQL, so a failed step leaves nothing half
 * done. A database written by a newer Interlace is refused, not downgraded.
 */
export async function migrate(pool: Pool): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS interlace_schema (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
    const { rows } = await client.query<{ v: number }>('SELECT COALESCE(MAX(version), 0)::int AS v FROM interlace_schema');
    const current = rows[0]!.v;
    if (current > MIGRATIONS.length)
      throw new Error(`its schema is version ${current}, newer than this Interlace knows (${MIGRATIONS.length}); upgrade Interlace`);
    for (let v = current; v < MIGRATIONS.length; v++) {
      await client.query(MIGRATIONS[v]!);
      await client.query('INSERT INTO interlace_schema (version, applied_at) VALUES ($1, $2)', [v + 1, Date.now()]);
    }
    await client.query('COMMIT');
    return MIGRATIONS.length - current;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
