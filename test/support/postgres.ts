import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * PostgreSQL for tests: `PG_URL`, else `DATABASE_URL`, else postgres://postgres@127.0.0.1:5432/postgres
 * (what `.ci/run` provides, starting a cluster of Debian's `postgresql` when none answers).
 * Each `freshSchema()` is an empty schema of its own, named in the URL it returns (search_path), so
 * tests never see each other's tables; `dropSchemas()` removes every schema this process created.
 */
export const PG_URL = process.env.PG_URL || process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

const created: string[] = [];

async function admin<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 10_000 });
  try {
    await c.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL does not answer at ${PG_URL.replace(/:[^:@/]*@/, ':***@')} (${(err as Error).message}); start one or set PG_URL (.ci/run starts one)`,
    );
  }
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

/** A new empty schema; the returned URL makes it the only one on the search path. */
export async function freshSchema(): Promise<string> {
  const name = `interlace_test_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE SCHEMA ${name}`));
  created.push(name);
  const url = new URL(PG_URL);
  url.searchParams.set('options', `-c search_path=${name}`);
  return url.toString();
}

/** Drops the schemas `freshSchema` created in this process. */
export async function dropSchemas(): Promise<void> {
  const names = created.splice(0);
  if (names.length) await admin((c) => c.query(`DROP SCHEMA IF EXISTS ${names.join(', ')} CASCADE`));
}

/** Runs one query against a store's database (to look behind the store in tests). */
export async function pgQuery<R extends pg.QueryResultRow>(url: string, sql: string, args: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<R>(sql, args)).rows;
  } finally {
    await c.end();
  }
}
