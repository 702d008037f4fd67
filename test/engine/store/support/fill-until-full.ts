// Run as a child process by disk-full.test.ts: stores messages into a SQLite store on a small file
// system until the store refuses, prints the id of every message whose ingest resolved (what a
// listener would have acknowledged), then dies without closing anything, as kill -9 would. With a
// third argument `checkpoint`, the WAL is checkpointed into the database file (TRUNCATE) after every
// fifth message, so that checkpoints run, and fail, while the disk fills; each failed one prints
// `checkpoint-failed`.
import type { Database } from 'better-sqlite3';
import { SqliteStore } from '../../../../engine/store/sqlite/store.js';

const [path, bytesText, mode] = process.argv.slice(2);
const store = new SqliteStore({ path: path!, sync: 'full' });
const db = (store as unknown as { db: Database }).db;
const body = Buffer.alloc(Number(bytesText), 'A');
let refused = 0;
for (let i = 0; refused < 20; i++) {
  const raw = Buffer.concat([Buffer.from(`FULL-${i}|`), body]);
  try {
    const r = await store.ingest('disk', { raw, controlId: `FULL-${i}`, sender: 'S' }, 3_600_000);
    process.stdout.write(`${r.messageId} FULL-${i}\n`);
    if (mode === 'checkpoint' && i % 5 === 4) {
      try {
        const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
        if (result?.busy) process.stdout.write('checkpoint-failed busy\n');
      } catch (err) {
        process.stdout.write(`checkpoint-failed ${(err as { code?: string }).code ?? 'error'}\n`);
      }
    }
  } catch (err) {
    refused += 1;
    process.stdout.write(`refused ${(err as { code?: string }).code ?? 'error'}\n`);
  }
}
process.stdout.write('end\n', () => process.kill(process.pid, 'SIGKILL'));
