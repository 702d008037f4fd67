import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Pool, PoolClient } from 'pg';
import { performance } from 'node:perf_hooks';
import { storeCommit } from '../../../lib/metrics.js';

/** BIGINT (times in ms, counts, serial ids) as JavaScript numbers: every value we store fits in 2^53. */
const INT8 = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 ? (v: string) => Number(v) : (pg.types.getTypeParser(oid, format) as unknown)) as typeof pg.types.getTypeParser,
};

/** A connection pool; errors of idle connections (a restarted server) surface on the next query instead of ending the process. */
export function createPool(url: string, max = 6): Pool {
  const pool = new pg.Pool({ connectionString: url, max, types, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000 });
  pool.on('error', () => {});
  return pool;
}

/** SQLSTATEs after which the whole transaction may simply run again: serialization failure, deadlock. */
const RETRYABLE = new Set(['40001', '40P01']);

/** Runs `work` in one transaction (READ COMMITTED); rolls back on error, retries on a deadlock. */
export async function transaction<T>(pool: Pool, work: (c: PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      const started = performance.now();
      await client.query('BEGIN');
      const value = await work(client);
      await client.query('COMMIT');
      storeCommit.since(started);
      return value;
    } catch (err) {
      await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      if (attempt < 5 && RETRYABLE.has((err as { code?: string }).code ?? '')) continue;
      throw err;
    } finally {
      client.release(broken);
    }
  }
}

/**
 * A 64-bit advisory lock key for a tuple of strings (e.g. channel, control id, sender): the first
 * eight bytes of their SHA-256, signed. Two tuples sharing a key only wait for each other.
 */
export function lockKey(...parts: Array<string | undefined>): string {
  const h = createHash('sha256')
    .update(parts.map((p) => p ?? '\u0000').join('\u001f'))
    .digest();
  return h.readBigInt64BE(0).toString();
}
