// Run as a child process by disk-full.test.ts: stores messages into a SQLite store on a small file
// system until the store refuses, prints the id of every message whose ingest resolved (what a
// listener would have acknowledged), then dies without closing anything, as kill -9 would.
import { SqliteStore } from '../../../../engine/store/sqlite/store.js';

const [path, bytesText] = process.argv.slice(2);
const store = new SqliteStore({ path: path!, sync: 'full' });
const body = Buffer.alloc(Number(bytesText), 'A');
let refused = 0;
for (let i = 0; refused < 20; i++) {
  const raw = Buffer.concat([Buffer.from(`FULL-${i}|`), body]);
  try {
    const r = await store.ingest('disk', { raw, controlId: `FULL-${i}`, sender: 'S' }, 3_600_000);
    process.stdout.write(`${r.messageId} FULL-${i}\n`);
  } catch (err) {
    refused += 1;
    process.stdout.write(`refused ${(err as { code?: string }).code ?? 'error'}\n`);
  }
}
process.stdout.write('end\n', () => process.kill(process.pid, 'SIGKILL'));
