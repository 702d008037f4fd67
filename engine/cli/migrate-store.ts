import { migrateStore } from '../store/index.js';

/** `interlace migrate-store --from sqlite:PATH --to postgres://…`: see engine/store/migrate-store.ts. */
export async function migrateStoreCommand(from: string | undefined, to: string | undefined): Promise<number> {
  if (!from || !to) {
    console.error('interlace migrate-store: both --from sqlite:PATH and --to postgres://… are required');
    return 2;
  }
  const reports = await migrateStore(from, to, (line) => console.log(`  ${line}`));
  const rows = reports.reduce((n, r) => n + r.copied, 0);
  console.log(`copied ${rows} rows in ${reports.length} tables; every table read back identical to the source`);
  return 0;
}
