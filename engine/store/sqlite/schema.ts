import type { Database } from 'better-sqlite3';
import { MIGRATIONS as ALL, SQLITE } from '../ddl.js';

/** The SQLite schema (engine/store/ddl.ts), versioned with `PRAGMA user_version`. */
const MIGRATIONS = ALL.map((m) => m(SQLITE));

/**
 * Brings the file to the newest schema. Each step runs in an IMMEDIATE transaction that reads the
 * version again after taking the write lock, so two processes opening the same file at once never
 * run a migration twice. A file written by a newer Interlace is refused, not downgraded.
 */
export function migrate(db: Database): void {
  const step = db.transaction((): boolean => {
    const v = db.pragma('user_version', { simple: true }) as number;
    if (v > MIGRATIONS.length)
      throw new Error(`its schema is version ${v}, newer than this Interlace knows (${MIGRATIONS.length}); upgrade Interlace`);
    if (v === MIGRATIONS.length) return true;
    db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${v + 1}`);
    return false;
  });
  while (!step.immediate()) {
    /* next version */
  }
}
